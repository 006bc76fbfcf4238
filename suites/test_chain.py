"""The chain of trust from the trust anchor to the zone. Family marker: chain."""

import pytest


@pytest.mark.dnssec_check("DS01")
def test_secure_delegation(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DS02")
def test_no_ds_for_unsigned_zone(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DS05")
def test_ds_absence_proven(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("KEY01")
def test_ds_matches_dnskey(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("KEY02")
def test_ds_key_signs_dnskey_rrset(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("KEY03")
def test_ds_key_is_zone_key(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("KEY04")
def test_dnskey_tags_are_distinct(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("SIG01")
def test_rrsig_verifies(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("SIG02")
def test_zone_file_loads(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("SIG03")
def test_rrsig_fits_rrset(conformance):
    conformance.assert_passes()
