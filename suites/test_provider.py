"""The cloud DNS provider that signs the zone (`provider:` in domains.yaml): its own view
against what the DNS serves. Family marker: provider (skipped for domains without one)."""

import pytest


@pytest.mark.dnssec_check("PROVIDER01")
def test_provider_signs_the_zone(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("PROVIDER02")
def test_provider_keys_are_usable(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("PROVIDER03")
def test_parent_points_to_the_provider_ksk(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("PROVIDER04")
def test_provider_algorithms_follow_policy(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("PROVIDER05")
def test_provider_denial_matches_the_servers(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("PROVIDER06")
def test_servers_serve_the_provider_ksk(conformance):
    conformance.assert_passes()
