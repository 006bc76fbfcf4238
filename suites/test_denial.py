"""Authenticated denial of existence. Family marker: denial."""

import pytest


@pytest.mark.dnssec_check("DENIAL01")
def test_negative_answer_carries_proof(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL02")
def test_nsec3_parameters(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL03")
def test_nxdomain_proof(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL04")
def test_nodata_proof(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL05")
def test_denial_signatures(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL06")
def test_denial_method_consistency(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL07")
def test_nsec3param_consistency(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL08")
def test_negative_answer_rcode(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL09")
def test_wildcard_answer_proof(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL10")
def test_zone_file_denial_chain_complete(conformance):
    conformance.assert_passes()
