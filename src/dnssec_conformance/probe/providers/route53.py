"""Route 53: a hosted zone's DNSSEC as Route 53 reports it (GetHostedZone, GetDNSSEC).

boto3 is the optional `[aws]` extra. Credentials come from boto3's own chain (environment,
shared profile, IRSA web identity, instance roles) and the endpoint from its own settings
(`AWS_ENDPOINT_URL_ROUTE_53`, `AWS_ENDPOINT_URL`), which is also how tests reach loopback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from ...config.model import Route53Zone
from .secrets import library_logs_scrubbed, scrub
from .view import KeyState, ProviderKey, ProviderView, ZoneState, failed_view

PROVIDER = "route53"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0
ZONE_STATES = {
    "SIGNING": ZoneState.SIGNING,
    "NOT_SIGNING": ZoneState.NOT_SIGNING,
    "DELETING": ZoneState.DELETING,
    "ACTION_NEEDED": ZoneState.FAILING,
    "INTERNAL_FAILURE": ZoneState.FAILING,
}
KEY_STATES = {
    "ACTIVE": KeyState.ACTIVE,
    "INACTIVE": KeyState.INACTIVE,
    "DELETING": KeyState.DELETING,
    "ACTION_NEEDED": KeyState.FAILING,
    "INTERNAL_FAILURE": KeyState.FAILING,
}
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
          "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken",
          "UnrecognizedClientException"}
THROTTLED = {"Throttling", "ThrottlingException", "PriorRequestNotComplete",
             "TooManyRequestsException", "RequestLimitExceeded"}
NO_CREDENTIALS = ("no AWS credentials found (looked in the environment, the shared "
                  "profile, IRSA web identity and instance roles)")


def make_client() -> tuple[Any, list[str]]:
    """A Route 53 client from boto3's default chain, and the credentials it will sign with
    (to scrub them from any text). Raises botocore's NoCredentialsError when there are none."""
    import boto3
    import botocore.config
    import botocore.exceptions

    session = boto3.session.Session()
    credentials = session.get_credentials()
    if credentials is None:
        raise botocore.exceptions.NoCredentialsError()
    frozen = credentials.get_frozen_credentials()
    secrets = [s for s in (frozen.access_key, frozen.secret_key, frozen.token) if s]
    config = botocore.config.Config(connect_timeout=CONNECT_TIMEOUT_S,
                                    read_timeout=READ_TIMEOUT_S)
    return session.client("route53", config=config), secrets


def fetch(spec: Route53Zone, client: Any = None, now: float | None = None) -> ProviderView:
    """Route 53's view of the hosted zone; a failed call is a view with `failure` set."""
    fetched_at = time.time() if now is None else now
    try:
        import botocore.exceptions as errors
    except ImportError:
        return failed_view(PROVIDER, spec.hosted_zone_id, "boto3 is not installed: pip install "
                           "'dnssec-conformance[aws]'", fetched_at)
    secrets: list[str] = []
    operation = "GetHostedZone"
    try:
        if client is None:
            client, secrets = make_client()
        with library_logs_scrubbed(lambda: secrets):
            hosted = client.get_hosted_zone(Id=spec.hosted_zone_id)
            operation = "GetDNSSEC"
            dnssec = client.get_dnssec(HostedZoneId=spec.hosted_zone_id)
    except (errors.NoCredentialsError, errors.PartialCredentialsError):
        return failed_view(PROVIDER, spec.hosted_zone_id, NO_CREDENTIALS, fetched_at)
    except errors.ClientError as exc:
        reason = _client_error(exc, operation, spec.hosted_zone_id)
        return failed_view(PROVIDER, spec.hosted_zone_id, scrub(reason, secrets), fetched_at)
    except (errors.EndpointConnectionError, errors.ConnectTimeoutError,
            errors.ReadTimeoutError, errors.ConnectionClosedError) as exc:
        return failed_view(PROVIDER, spec.hosted_zone_id, f"{operation}: could not reach the "
                           f"Route 53 API ({type(exc).__name__})", fetched_at)
    except errors.BotoCoreError as exc:
        return failed_view(PROVIDER, spec.hosted_zone_id,
                           f"{operation} failed ({type(exc).__name__})", fetched_at)
    return view_of(spec, hosted, dnssec, fetched_at, secrets)


def _client_error(exc: Any, operation: str, zone_id: str) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "unknown"))
    message = " ".join(str(error.get("Message", "")).split())
    said = f"{code}: {message}" if message else code
    if code in DENIED:
        return f"{operation} was denied ({said}); grant route53:GetHostedZone and " \
               "route53:GetDNSSEC (read-only)"
    if code in THROTTLED:
        return f"{operation} was throttled ({said}), after the SDK's retries"
    if code == "NoSuchHostedZone":
        return f"no hosted zone {zone_id} ({said}): check provider.route53.hosted_zone_id"
    return f"{operation} failed ({said})"


def view_of(spec: Route53Zone, hosted: Mapping[str, Any], dnssec: Mapping[str, Any],
            fetched_at: float, secrets: list[str] | None = None) -> ProviderView:
    """The view from the two API answers, as the API reference documents them."""
    status = dnssec.get("Status", {})
    serve = str(status.get("ServeSignature", ""))
    keys = tuple(_key(k) for k in dnssec.get("KeySigningKeys", []) or [])
    evidence = "\n".join([
        f";; Route 53 GetHostedZone Id={spec.hosted_zone_id}",
        _as_text({"HostedZone": hosted.get("HostedZone", {})}),
        f";; Route 53 GetDNSSEC HostedZoneId={spec.hosted_zone_id}",
        _as_text({k: v for k, v in dnssec.items() if k != "ResponseMetadata"}),
    ])
    return ProviderView(
        PROVIDER, spec.hosted_zone_id,
        zone_name=hosted.get("HostedZone", {}).get("Name"),
        state=ZONE_STATES.get(serve, ZoneState.UNKNOWN), status=serve,
        status_message=" ".join(str(status.get("StatusMessage", "")).split()),
        keys=keys, evidence=scrub(evidence, secrets or ()), fetched_at=fetched_at)


def _key(ksk: Mapping[str, Any]) -> ProviderKey:
    status = str(ksk.get("Status", ""))
    flags = ksk.get("Flag", 257)
    return ProviderKey(
        role="KSK" if flags & 1 else "ZSK", key_tag=ksk.get("KeyTag"),
        algorithm=ksk.get("SigningAlgorithmType"),
        algorithm_name=str(ksk.get("SigningAlgorithmMnemonic", "")),
        state=KEY_STATES.get(status, KeyState.UNKNOWN), status=status,
        status_message=" ".join(str(ksk.get("StatusMessage", "")).split()),
        ds=(str(ksk["DSRecord"]),) if ksk.get("DSRecord") else (),
        dnskey=ksk.get("DNSKEYRecord"), name=str(ksk.get("Name", "")))


def _as_text(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, default=str)
