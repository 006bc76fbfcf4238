"""Whole live zones (`transfer:` in domains.yaml): each server's copy, by AXFR with TSIG or
the NSEC walk, checked like a zone file. Family marker: transfer (skipped for domains
without `transfer:`)."""

import pytest


@pytest.mark.dnssec_check("XFR01")
def test_every_server_gives_its_whole_zone(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("XFR02")
def test_every_signature_of_the_whole_zone_is_valid(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("XFR03")
def test_every_rrset_of_the_whole_zone_verifies(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("XFR04")
def test_the_whole_denial_chain_is_complete(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("XFR05")
def test_every_server_holds_the_same_zone(conformance):
    conformance.assert_passes()
