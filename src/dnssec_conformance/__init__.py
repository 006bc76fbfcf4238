"""dnssec-conformance: DNSSEC conformance checks for your zones, run through pytest.

The library never imports pytest: probe zones with :func:`runner.probe_zones` (or judge a whole
run with :func:`runner.run_sync`), then run the checks of :mod:`dnssec_conformance.catalog`
over the data with an explicit ``now``.
"""

__version__ = "0.1.0"
