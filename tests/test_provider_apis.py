"""Cloudflare (requests) and Google Cloud DNS (the Google API client, Application Default
Credentials) against real HTTP servers on loopback that answer the documented JSON shapes:
request paths and auth headers asserted; no credentials, denied and throttled answers are
one-line failures that never show a credential."""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
from pathlib import Path
from typing import Any

import dns.name
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dnssec_conformance.config.model import CloudDnsZone, CloudflareZone, DomainSpec
from dnssec_conformance.probe.providers import KeyState, ZoneState, clouddns, fetch_view

from .provider_apis import (
    cloudflare_dnssec,
    cloudflare_error,
    cloudflare_zone,
    fake_api,
)

CF_ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
CF_TOKEN = "cf-token-never-shown-Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQq"
CF_DS = "example.com. 3600 IN DS 2371 13 2 " + "C9" * 32
GOOGLE_TOKEN = "ya29.google-access-token-never-shown-0123456789"
PROJECT, MANAGED_ZONE = "my-project-123", "example-com"


def cloudflare_domain(name: str = "example.com", env: str = "CLOUDFLARE_API_TOKEN"
                      ) -> DomainSpec:
    return DomainSpec(dns.name.from_text(name), provider=CloudflareZone(CF_ZONE, env))


@pytest.fixture
def cloudflare(monkeypatch):
    with fake_api() as api:
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", api.url + "/client/v4")
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", CF_TOKEN)
        yield api


def test_cloudflare_active(cloudflare, caplog):
    cloudflare.set("GET", f"/client/v4/zones/{CF_ZONE}", 200,
                   cloudflare_zone(CF_ZONE, "example.com"))
    cloudflare.set("GET", f"/client/v4/zones/{CF_ZONE}/dnssec", 200,
                   cloudflare_dnssec("active", CF_DS, 2371, "mdss" * 22, use_nsec3=False))
    caplog.set_level(logging.DEBUG)
    view = fetch_view(cloudflare_domain())
    assert view is not None and view.failure is None, view
    assert cloudflare.paths() == [f"/client/v4/zones/{CF_ZONE}",
                                  f"/client/v4/zones/{CF_ZONE}/dnssec"]
    assert {r.authorization for r in cloudflare.requests} == {f"Bearer {CF_TOKEN}"}
    assert (view.zone_name, view.state, view.status, view.denial) == (
        "example.com.", ZoneState.SIGNING, "active", "nsec")
    (key,) = view.keys
    assert key.ds == ("2371 13 2 " + "C9" * 32,) and key.key_tag == 2371
    assert key.state is KeyState.ACTIVE and key.dnskey == "257 3 13 " + "mdss" * 22
    assert CF_TOKEN not in view.evidence + caplog.text


@pytest.mark.parametrize(("status", "state"), [
    ("pending", ZoneState.PENDING_DS), ("pending-disabled", ZoneState.PENDING_DISABLED),
    ("disabled", ZoneState.NOT_SIGNING), ("error", ZoneState.FAILING),
    ("something-new", ZoneState.UNKNOWN)])
def test_cloudflare_states(cloudflare, status, state):
    cloudflare.set("GET", f"/client/v4/zones/{CF_ZONE}", 200,
                   cloudflare_zone(CF_ZONE, "example.com"))
    cloudflare.set("GET", f"/client/v4/zones/{CF_ZONE}/dnssec", 200,
                   cloudflare_dnssec(status, CF_DS, 2371))
    view = fetch_view(cloudflare_domain())
    assert view is not None and view.state is state and view.status == status


@pytest.mark.parametrize(("status", "body", "expected"), [
    (403, cloudflare_error(10000, "Authentication error"),
     "GET /zones/{z} was denied (10000: Authentication error): the token needs Zone Read and "
     "DNS Read on this zone"),
    (429, cloudflare_error(971, "Please wait and consider throttling your request speed"),
     "GET /zones/{z} was throttled (971: Please wait and consider throttling your request "
     "speed)"),
    (404, cloudflare_error(1001, "Invalid zone identifier"),
     "GET /zones/{z}: no such zone (1001: Invalid zone identifier): check "
     "provider.cloudflare.zone_id"),
    (500, "not json", "GET /zones/{z} failed (HTTP 500)"),
])
def test_cloudflare_failures_are_one_line(cloudflare, status, body, expected):
    cloudflare.set("GET", f"/client/v4/zones/{CF_ZONE}", status, body)
    view = fetch_view(cloudflare_domain())
    assert view is not None
    assert view.failure == f"Cloudflare zone {CF_ZONE}: " + expected.format(z=CF_ZONE)
    assert CF_TOKEN not in view.failure


def test_cloudflare_without_token_asks_nobody(cloudflare, monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    view = fetch_view(cloudflare_domain())
    assert view is not None and cloudflare.requests == []
    assert view.failure == (f"Cloudflare zone {CF_ZONE}: no API token: the environment "
                            "variable CLOUDFLARE_API_TOKEN is not set")


def test_cloudflare_token_from_the_named_variable(cloudflare, monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    monkeypatch.setenv("CF_TOKEN_TEAM_B", CF_TOKEN + "-b")
    cloudflare.set("GET", f"/client/v4/zones/{CF_ZONE}", 403, cloudflare_error(9109, "no"))
    fetch_view(cloudflare_domain(env="CF_TOKEN_TEAM_B"))
    assert cloudflare.requests[0].authorization == f"Bearer {CF_TOKEN}-b"


def test_cloudflare_unreachable(monkeypatch):
    with fake_api() as api:
        url = api.url  # closed when the block ends: nothing listens there any more
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", CF_TOKEN)
    view = fetch_view(cloudflare_domain())
    assert view is not None and view.failure == (
        f"Cloudflare zone {CF_ZONE}: GET /zones/{CF_ZONE}: could not reach the API "
        "(ConnectionError)")


# --- Cloud DNS -----------------------------------------------------------------------------


def managed_zone(state: str, non_existence: str = "nsec") -> dict[str, Any]:
    """managedZones.get, as the v1 reference documents the ManagedZone resource."""
    return {"kind": "dns#managedZone", "name": MANAGED_ZONE, "dnsName": "example.com.",
            "id": "4455667788", "visibility": "public",
            "nameServers": ["ns-cloud-a1.googledomains.com."],
            "dnssecConfig": {"kind": "dns#managedZoneDnsSecConfig", "state": state,
                             "nonExistence": non_existence,
                             "defaultKeySpecs": [
                                 {"kind": "dns#dnsKeySpec", "keyType": "keySigning",
                                  "algorithm": "rsasha256", "keyLength": 2048},
                                 {"kind": "dns#dnsKeySpec", "keyType": "zoneSigning",
                                  "algorithm": "rsasha256", "keyLength": 1024}]}}


def dns_key(key_id: str, key_type: str, tag: int, active: bool = True) -> dict[str, Any]:
    """A DnsKey of dnsKeys.list, as the v1 reference documents it."""
    return {"kind": "dns#dnsKey", "id": key_id, "algorithm": "rsasha256",
            "keyLength": 2048 if key_type == "keySigning" else 1024,
            "publicKey": "AwEAAb" + "x" * 40, "creationTime": "2026-11-01T10:00:00.000Z",
            "isActive": active, "type": key_type, "keyTag": tag,
            "digests": [{"type": "sha256", "digest": "ab" * 32},
                        {"type": "sha384", "digest": "cd" * 48}] if key_type == "keySigning"
            else []}


@pytest.fixture
def google(monkeypatch, tmp_path: Path):
    """Application Default Credentials from a service-account key file whose token endpoint
    is the loopback server, and the API endpoint by the Cloud SDK's own override."""
    with fake_api() as api:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        key_file = tmp_path / "sa.json"
        key_file.write_text(json.dumps({
            "type": "service_account", "project_id": PROJECT, "private_key_id": "k1",
            "private_key": pem, "client_email": f"dnssec@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": api.url + "/token"}))
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
        monkeypatch.setenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS", api.url + "/dns/v1/")
        api.set("POST", "/token", 200, {"access_token": GOOGLE_TOKEN, "expires_in": 3600,
                                        "token_type": "Bearer"})
        clouddns._default_credentials.cache_clear()
        yield api
        clouddns._default_credentials.cache_clear()


def clouddns_domain() -> DomainSpec:
    return DomainSpec(dns.name.from_text("example.com"),
                      provider=CloudDnsZone(PROJECT, MANAGED_ZONE))


def jwt_claims(token_request: bytes) -> dict[str, Any]:
    """The claims of the signed JWT a service account trades for an access token."""
    form = urllib.parse.parse_qs(token_request.decode())
    payload = form["assertion"][0].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


ZONE_PATH = f"/dns/v1/projects/{PROJECT}/managedZones/{MANAGED_ZONE}"


def test_clouddns_on(google, caplog):
    google.set("GET", ZONE_PATH, 200, managed_zone("on", "nsec3"))
    google.set("GET", ZONE_PATH + "/dnsKeys", 200, {
        "kind": "dns#dnsKeysListResponse",
        "dnsKeys": [dns_key("0", "keySigning", 1111), dns_key("1", "zoneSigning", 2222),
                    dns_key("2", "keySigning", 3333, active=False)]})
    caplog.set_level(logging.DEBUG)
    view = fetch_view(clouddns_domain())
    assert view is not None and view.failure is None, view
    assert google.paths() == ["/token", ZONE_PATH, ZONE_PATH + "/dnsKeys"]
    assert [r.authorization for r in google.requests[1:]] == [f"Bearer {GOOGLE_TOKEN}"] * 2
    assert jwt_claims(google.requests[0].body)["scope"] == clouddns.SCOPE  # read-only
    assert (view.zone, view.zone_name, view.state, view.denial) == (
        f"{PROJECT}/{MANAGED_ZONE}", "example.com.", ZoneState.SIGNING, "nsec3")
    ksk, zsk, old = view.keys
    assert (ksk.role, ksk.key_tag, ksk.algorithm, ksk.state) == ("KSK", 1111, 8, KeyState.ACTIVE)
    assert ksk.ds == ("1111 8 2 " + "AB" * 32, "1111 8 4 " + "CD" * 48)
    assert (zsk.role, zsk.key_length, old.state) == ("ZSK", 1024, KeyState.INACTIVE)
    assert [(s.role, s.algorithm, s.key_length) for s in view.key_specs] == [
        ("KSK", 8, 2048), ("ZSK", 8, 1024)]
    assert GOOGLE_TOKEN not in view.evidence + caplog.text


@pytest.mark.parametrize(("status", "google_status", "expected"), [
    (403, "PERMISSION_DENIED", "managedZones.get was denied (HTTP 403 PERMISSION_DENIED: "
                               "Forbidden); grant dns.managedZones.get and dns.dnsKeys.list "
                               "(roles/dns.reader, read-only)"),
    (404, "NOT_FOUND", f"managedZones.get: no managed zone {MANAGED_ZONE} in project "
                       f"{PROJECT} (HTTP 404 NOT_FOUND: Forbidden)"),
])
def test_clouddns_failures_are_one_line(google, status, google_status, expected):
    google.set("GET", ZONE_PATH, status, {"error": {"code": status, "message": "Forbidden",
                                                    "status": google_status}})
    view = fetch_view(clouddns_domain())
    assert view is not None
    assert view.failure == f"Cloud DNS managed zone {PROJECT}/{MANAGED_ZONE}: {expected}"


def test_clouddns_throttled_after_the_clients_retries(google, monkeypatch):
    monkeypatch.setattr(clouddns, "RETRIES", 1)  # its backoff sleeps up to 2 s
    google.set("GET", ZONE_PATH, 429, {"error": {"code": 429, "message": "Quota exceeded",
                                                 "status": "RESOURCE_EXHAUSTED"}})
    view = fetch_view(clouddns_domain())
    assert view is not None and view.failure == (
        f"Cloud DNS managed zone {PROJECT}/{MANAGED_ZONE}: managedZones.get was throttled "
        "(HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded), after the client's retries")
    assert google.paths().count(ZONE_PATH) == 2


def test_clouddns_without_credentials(monkeypatch, tmp_path):
    """No key file, no gcloud ADC file, and a metadata server (on loopback) that is not
    Google's: Application Default Credentials find nothing, and nothing else is asked."""
    with fake_api() as metadata:
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
        monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.setenv("GCE_METADATA_IP", metadata.url.removeprefix("http://"))
        clouddns._default_credentials.cache_clear()
        try:
            view = fetch_view(clouddns_domain())
        finally:
            clouddns._default_credentials.cache_clear()
    assert view is not None and view.failure == (
        f"Cloud DNS managed zone {PROJECT}/{MANAGED_ZONE}: no Google credentials found "
        "(Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud auth "
        "application-default login, or the metadata server of Workload Identity)")
    assert metadata.paths() == ["/"]  # the metadata server's ping, answered "not Google"


def test_clouddns_token_endpoint_refusing_the_account(google):
    google.set("POST", "/token", 400, {"error": "invalid_grant",
                                       "error_description": "Invalid JWT Signature."})
    view = fetch_view(clouddns_domain())
    assert view is not None and view.failure == (
        f"Cloud DNS managed zone {PROJECT}/{MANAGED_ZONE}: could not get an access token "
        "(RefreshError): check the credentials' account")
