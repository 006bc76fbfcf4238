"""The checks, one module per failure-mode family. Each check is a pure function of a zone's
collected data and an `Evaluation`; `catalog.py` lists them all."""
