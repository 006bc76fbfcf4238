"""Algorithms, digests and key sizes. Family marker: algorithm."""

import pytest


@pytest.mark.dnssec_check("ALG01")
def test_ds_algorithm_matches_key(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("ALG02")
def test_every_algorithm_signs_every_rrset(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("ALG03")
def test_algorithm_policy(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("ALG04")
def test_ds_digest_policy(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("ALG05")
def test_rsa_key_size(conformance):
    conformance.assert_passes()
