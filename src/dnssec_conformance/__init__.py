"""dnssec-conformance: DNSSEC conformance checks for your zones, run through pytest.

The library never imports pytest: probe zones with :func:`engine.runner.probe_zones` (or judge
a whole run with :func:`engine.runner.run_sync`), then run the checks with
:func:`dnssec_conformance.catalog.run` over the data with an explicit ``now``. The stages, in
their import order: config, probe, dnssec, state, analysis, catalog, checks, report, engine,
plugin (tests/test_layout.py).
"""

__version__ = "0.1.0"
