"""Signature expiry, per domain. Family marker: expiry (the hourly job)."""

import pytest


@pytest.mark.dnssec_check("EXPIRY01")
def test_rrsig_not_expired(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("EXPIRY02")
def test_rrsig_outlives_ttl(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("EXPIRY03")
def test_rrsig_outlives_soa_expire(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("EXPIRY05")
def test_online_signer_renews(conformance):
    conformance.assert_passes()
