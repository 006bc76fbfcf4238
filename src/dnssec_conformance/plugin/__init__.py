"""The pytest plugin (the `pytest11` entry point is `plugin.hooks`): options, fixtures and
ordering, the results reporter, the pytest-html and JUnit hooks."""
