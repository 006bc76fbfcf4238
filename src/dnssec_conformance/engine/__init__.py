"""The engine beside pytest: probes each subject once and judges it with the catalog, in a
thread or a process of its own; each test only looks its verdict up."""
