"""Key rollovers, per domain: what changed since the last run, and whether each step of a
rollover is safe. Family marker: rollover (the hourly job; --state-dir keeps the history)."""

import pytest


@pytest.mark.dnssec_check("ROLLOVER01")
def test_key_changes_are_reported(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("ROLLOVER02")
def test_signing_keys_are_ready(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("ROLLOVER03")
def test_ds_names_a_ready_key(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("ROLLOVER04")
def test_removed_keys_are_no_longer_needed(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("ROLLOVER05")
def test_cds_and_cdnskey_are_safe_to_apply(conformance):
    conformance.assert_passes()
