"""Clock skew. Family marker: clock."""

import pytest


@pytest.mark.dnssec_check("CLOCK01")
def test_rrsig_inception_not_in_future(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("CLOCK02")
def test_local_clock_matches_ntp(conformance):
    conformance.assert_passes()
