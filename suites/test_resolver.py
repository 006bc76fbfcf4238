"""The resolvers pods use, and the cluster's CoreDNS. Family marker: resolver.

RESOLVER01 runs per domain: does each resolver validate, and say so? RESOLVER02 per bogus
canary (`canaries.bogus`), named after it. RESOLVER03-07 read CoreDNS's Corefile and metrics
(the `coredns:` section of domains.yaml; skipped without it); results.json names them
"coredns".
"""

import pytest


@pytest.mark.dnssec_check("RESOLVER01")
def test_resolver_validation_status(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("RESOLVER02")
def test_bogus_canary_rejected(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("RESOLVER03")
def test_dnssec_plugin_not_taken_for_validation(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("RESOLVER04")
def test_forward_upstreams_known(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("RESOLVER05")
def test_cache_does_not_serve_stale(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("RESOLVER06")
def test_servfail_share(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("RESOLVER07")
def test_cache_hit_ratio(conformance):
    conformance.assert_passes()
