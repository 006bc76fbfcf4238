"""Reporting a run: results.json (the contract), the overview, the HTML report, the heartbeat,
the summary, Nagios, JUnit, metrics, the archive, and the merge of shards."""
