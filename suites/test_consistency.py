"""Consistency between a domain's authoritative servers. Family marker: consistency."""

import pytest


@pytest.mark.dnssec_check("CONSIST01")
def test_servers_serve_the_same_dnskey_rrset(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("CONSIST02")
def test_servers_serve_the_same_serial(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("CONSIST03")
def test_servers_serve_the_same_ns_rrset(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("CONSIST04")
def test_signatures_verify_with_every_servers_keys(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("CONSIST05")
def test_every_server_answers_every_question_usably(conformance):
    conformance.assert_passes()
