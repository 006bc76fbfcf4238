"""The resolvers pods use: does each validate, and say so? Family marker: resolver.

RESOLVER01 runs per domain; RESOLVER02 per bogus canary (`canaries.bogus`), named after it.
"""

import pytest


@pytest.mark.dnssec_check("RESOLVER01")
def test_resolver_validation_status(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("RESOLVER02")
def test_bogus_canary_rejected(conformance):
    conformance.assert_passes()
