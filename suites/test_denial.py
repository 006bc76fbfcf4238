"""Authenticated denial of existence. Family marker: denial."""

import pytest


@pytest.mark.dnssec_check("DENIAL01")
def test_negative_answer_carries_proof(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("DENIAL02")
def test_nsec3_parameters(conformance):
    conformance.assert_passes()
