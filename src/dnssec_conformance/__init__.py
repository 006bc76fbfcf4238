"""dnssec-conformance: DNSSEC conformance checks for your zones, run through pytest.

The library never imports pytest: collect a zone with :func:`collect.collect_zone`, then run
the checks of :mod:`dnssec_conformance.catalog` over it with an explicit ``now``.
"""

__version__ = "0.1.0"
