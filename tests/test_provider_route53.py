"""Route 53 through boto3: moto's server on loopback (ThreadedMotoServer) for what moto
implements (hosted zones, GetDNSSEC in the NOT_SIGNING state), botocore's Stubber for the
states it does not (SIGNING with KSKs, ACTION_NEEDED, denied, throttled), with responses
shaped as the API reference documents them (the Stubber checks them against the model)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from dnssec_conformance.config.model import DomainSpec, Route53Zone
from dnssec_conformance.probe.providers import KeyState, ZoneState, fetch_view, route53

SECRET_KEY = "r53-secret-key-never-shown-0123456789"
SESSION_TOKEN = "r53-session-token-never-shown-abcdefghij"
ZONE_ID = "Z0123456789ABCDEFGHIJ"
KSK_DS = "27745 13 2 1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F809"
KSK_DNSKEY = ("257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLU"
              "T0rAK9iUzy1L53eKGQ==")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, moto_url: str) -> str:
    """Credentials in the environment (boto3's first source), the endpoint by boto3's own
    service-specific variable, and nothing read from this machine's AWS files or IMDS."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEYID0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ROUTE_53", moto_url)
    return moto_url


def create_zone(name: str) -> str:
    client = boto3.client("route53")
    zone = client.create_hosted_zone(Name=name, CallerReference=name + "-ref")
    return str(zone["HostedZone"]["Id"]).removeprefix("/hostedzone/")


def domain(name: str, zone_id: str) -> DomainSpec:
    import dns.name

    return DomainSpec(dns.name.from_text(name), provider=Route53Zone(zone_id))


def test_moto_server_hosted_zone_not_signing(aws_env, caplog):
    zone_id = create_zone("no-ds.test.")
    caplog.set_level(logging.DEBUG)
    view = fetch_view(domain("no-ds.test", zone_id))
    assert view is not None and view.failure is None, view
    assert (view.provider, view.zone, view.zone_name) == ("route53", zone_id, "no-ds.test.")
    assert view.state is ZoneState.NOT_SIGNING and view.status == "NOT_SIGNING"
    assert view.keys == () and not view.signing
    assert "GetDNSSEC" in view.evidence and '"NOT_SIGNING"' in view.evidence
    # botocore logs the signed request (session token header included) at DEBUG: scrubbed
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "X-Amz-Security-Token" in logged or "Authorization" in logged
    assert SESSION_TOKEN not in logged and SECRET_KEY not in logged


def test_unknown_hosted_zone_is_a_one_line_failure(aws_env):
    view = fetch_view(domain("no-ds.test", "ZNOSUCHZONE0000000000"))
    assert view is not None and view.failure is not None
    assert view.failure.startswith("Route 53 hosted zone ZNOSUCHZONE0000000000: no hosted zone")
    assert "NoSuchHostedZone" in view.failure and "\n" not in view.failure


def test_no_credentials_is_a_one_line_failure_and_asks_nobody(aws_env, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    view = fetch_view(domain("no-ds.test", ZONE_ID))
    assert view is not None
    assert view.failure == (f"Route 53 hosted zone {ZONE_ID}: no AWS credentials found (looked "
                            "in the environment, the shared profile, IRSA web identity and "
                            "instance roles)")


def test_a_domain_without_provider_asks_no_provider(monkeypatch):
    import dns.name

    monkeypatch.setattr(route53, "make_client", lambda: pytest.fail("asked Route 53"))
    assert fetch_view(DomainSpec(dns.name.from_text("example.com."))) is None


# --- states moto does not implement: botocore's Stubber, shapes from the API reference ------


def stubbed_client() -> tuple[Any, Stubber]:
    client = botocore.session.get_session().create_client(
        "route53", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key=SECRET_KEY)
    return client, Stubber(client)


def hosted_zone(zone_id: str, name: str) -> dict[str, Any]:
    return {"HostedZone": {"Id": f"/hostedzone/{zone_id}", "Name": name,
                           "CallerReference": "ref", "Config": {"PrivateZone": False},
                           "ResourceRecordSetCount": 4},
            "DelegationSet": {"NameServers": ["ns-1.awsdns-01.org"]}}


def ksk(status: str, key_tag: int = 27745, ds: str = KSK_DS, message: str = "",
        name: str = "ksk1") -> dict[str, Any]:
    """A KeySigningKey as GetDNSSEC documents it."""
    when = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    key: dict[str, Any] = {
        "Name": name, "KmsArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
        "Flag": 257, "SigningAlgorithmMnemonic": "ECDSAP256SHA256", "SigningAlgorithmType": 13,
        "DigestAlgorithmMnemonic": "SHA-256", "DigestAlgorithmType": 2, "KeyTag": key_tag,
        "DigestValue": ds.split()[-1], "PublicKey": KSK_DNSKEY.split()[-1], "DSRecord": ds,
        "DNSKEYRecord": KSK_DNSKEY, "Status": status, "CreatedDate": when,
        "LastModifiedDate": when}
    if message:
        key["StatusMessage"] = message
    return key


def dnssec(serve: str, keys: list[dict[str, Any]], message: str = "") -> dict[str, Any]:
    status = {"ServeSignature": serve}
    if message:
        status["StatusMessage"] = message
    return {"Status": status, "KeySigningKeys": keys}


def stubbed_view(name: str, dnssec_answer: dict[str, Any] | None = None,
                 error: tuple[str, int, str] | None = None, zone_id: str = ZONE_ID):
    """Route 53's view through a stubbed client: GetHostedZone, then GetDNSSEC (or an error)."""
    client, stubber = stubbed_client()
    stubber.add_response("get_hosted_zone", hosted_zone(zone_id, name), {"Id": zone_id})
    if error is not None:
        code, status, message = error
        stubber.add_client_error("get_dnssec", service_error_code=code,
                                 service_message=message, http_status_code=status,
                                 expected_params={"HostedZoneId": zone_id})
    else:
        stubber.add_response("get_dnssec", dnssec_answer, {"HostedZoneId": zone_id})
    with stubber:
        view = route53.fetch(Route53Zone(zone_id), client=client, now=1.0)
    stubber.assert_no_pending_responses()
    return view


def test_signing_with_an_active_ksk():
    view = stubbed_view("example.com.", dnssec("SIGNING", [ksk("ACTIVE")]))
    assert view.failure is None and view.state is ZoneState.SIGNING
    (key,) = view.keys
    assert (key.role, key.key_tag, key.algorithm, key.state) == ("KSK", 27745, 13,
                                                                 KeyState.ACTIVE)
    assert key.ds == (KSK_DS,) and key.dnskey == KSK_DNSKEY
    assert key.ds_records()[0].key_tag == 27745 and key.dnskey_record() is not None
    assert view.active_ksks() == [key]


def test_action_needed_keeps_the_providers_messages():
    message = "The customer managed key was disabled."
    view = stubbed_view("example.com.", dnssec(
        "ACTION_NEEDED", [ksk("ACTION_NEEDED", message=message)], message="KMS key problem"))
    assert view.state is ZoneState.FAILING and view.status_message == "KMS key problem"
    assert view.keys[0].state is KeyState.FAILING and view.keys[0].status_message == message


@pytest.mark.parametrize(("code", "status", "expected"), [
    ("AccessDenied", 403, "GetDNSSEC was denied (AccessDenied: User: arn:aws:sts::111122223333:"
                          "assumed-role/dnssec/pod is not authorized to perform: "
                          "route53:GetDNSSEC); grant route53:GetHostedZone and route53:GetDNSSEC"
                          " (read-only)"),
    ("Throttling", 400, "GetDNSSEC was throttled (Throttling: Rate exceeded), after the SDK's "
                        "retries"),
])
def test_denied_and_throttled_are_one_line_failures(code, status, expected):
    said = {"AccessDenied": "User: arn:aws:sts::111122223333:assumed-role/dnssec/pod is not "
                            "authorized to perform: route53:GetDNSSEC",
            "Throttling": "Rate exceeded"}[code]
    view = stubbed_view("example.com.", error=(code, status, said))
    assert view.failure == f"Route 53 hosted zone {ZONE_ID}: {expected}"
    assert view.keys == () and SECRET_KEY not in view.failure


def test_the_view_survives_a_json_round_trip():
    import json

    from dnssec_conformance.probe.providers import view_from_dict

    view = stubbed_view("example.com.", dnssec("SIGNING", [ksk("ACTIVE"), ksk("INACTIVE", 1)]))
    assert view_from_dict(json.loads(json.dumps(view.as_dict()))) == view
