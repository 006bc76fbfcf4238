"""Google Cloud DNS: a managed zone's DNSSEC as Cloud DNS reports it (managedZones.get and
dnsKeys.list of the v1 REST API), through the Google API client, the optional `[gcp]` extra.

Credentials are Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, the gcloud
ADC file, or the metadata server: GKE Workload Identity), with the read-only Cloud DNS scope.
The endpoint is the client's `api_endpoint`, taken from CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS,
the Cloud SDK's own override for this API.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Mapping
from typing import Any

from ...config.model import CloudDnsZone
from ...errors import ConformanceError
from .secrets import library_logs_scrubbed, scrub
from .view import (
    DIGEST_TYPES,
    KeySpec,
    KeyState,
    ProviderKey,
    ProviderView,
    ZoneState,
    algorithm_number,
    ds_text,
    failed_view,
)

PROVIDER = "clouddns"
SCOPE = "https://www.googleapis.com/auth/ndev.clouddns.readonly"
ENDPOINT_ENV = "CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS"
TIMEOUT_S = 15.0
RETRIES = 2  # the client's own retries of 429 and 5xx answers, with backoff
ZONE_STATES = {"on": ZoneState.SIGNING, "off": ZoneState.NOT_SIGNING,
               "transfer": ZoneState.TRANSFER}
ROLES = {"keySigning": "KSK", "zoneSigning": "ZSK"}
NO_CREDENTIALS = ("no Google credentials found (Application Default Credentials: "
                  "GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, or "
                  "the metadata server of Workload Identity)")


class _CallFailed(ConformanceError):
    pass


def endpoint() -> str | None:
    """The API's root from the override, without the `dns/v1/` path gcloud users may add."""
    value = os.environ.get(ENDPOINT_ENV, "").strip()
    if not value:
        return None
    value = value.rstrip("/")
    value = value.removesuffix("/dns/v1").removesuffix("/dns/v1beta2")
    return value + "/"


@functools.cache
def _default_credentials() -> Any:
    """ADC, looked up once per process: on a machine that is not on Google Cloud, the
    metadata-server probe of a failed lookup takes seconds, and the answer will not change."""
    import google.auth
    import google.auth.exceptions

    try:
        credentials, _project = google.auth.default(scopes=[SCOPE])
    except google.auth.exceptions.DefaultCredentialsError:
        return None
    return credentials


def make_service() -> tuple[Any, Any]:
    """The Cloud DNS v1 client (from the discovery document shipped with the library: no
    network to build it) and the credentials it uses. Raises _CallFailed without any."""
    import google_auth_httplib2
    import httplib2
    from googleapiclient.discovery import build

    credentials = _default_credentials()
    if credentials is None:
        raise _CallFailed(NO_CREDENTIALS)
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=TIMEOUT_S))
    root = endpoint()
    options = {"api_endpoint": root} if root else None
    service = build("dns", "v1", http=http, client_options=options, cache_discovery=False,
                    static_discovery=True)
    return service, credentials


def fetch(spec: CloudDnsZone, now: float | None = None) -> ProviderView:
    """Cloud DNS's view of the managed zone; a failed call is a view with `failure` set."""
    fetched_at = time.time() if now is None else now
    zone_id = f"{spec.project}/{spec.managed_zone}"
    try:
        import google.auth.exceptions as auth_errors
        import googleapiclient.errors as api_errors
        import httplib2
    except ImportError:
        return failed_view(PROVIDER, zone_id, "the Google API client is not installed: pip "
                           "install 'dnssec-conformance[gcp]'", fetched_at)
    credentials: Any = None

    def secrets() -> list[str]:
        token = getattr(credentials, "token", None)
        return [token] if token else []

    operation = "managedZones.get"
    try:
        service, credentials = make_service()
        with library_logs_scrubbed(secrets):
            zone = service.managedZones().get(
                project=spec.project, managedZone=spec.managed_zone).execute(num_retries=RETRIES)
            operation = "dnsKeys.list"
            keys: list[Mapping[str, Any]] = []
            request = service.dnsKeys().list(project=spec.project, managedZone=spec.managed_zone)
            while request is not None:
                page = request.execute(num_retries=RETRIES)
                keys += page.get("dnsKeys", [])
                request = service.dnsKeys().list_next(request, page)
    except _CallFailed as exc:
        return failed_view(PROVIDER, zone_id, str(exc), fetched_at)
    except api_errors.HttpError as exc:
        reason = _http_error(exc, operation, spec)
        return failed_view(PROVIDER, zone_id, scrub(reason, secrets()), fetched_at)
    except auth_errors.RefreshError as exc:
        return failed_view(PROVIDER, zone_id, f"could not get an access token "
                           f"({type(exc).__name__}): check the credentials' account", fetched_at)
    except auth_errors.GoogleAuthError as exc:
        return failed_view(PROVIDER, zone_id, f"credentials unusable ({type(exc).__name__})",
                           fetched_at)
    except (OSError, httplib2.HttpLib2Error) as exc:
        return failed_view(PROVIDER, zone_id, f"{operation}: could not reach the Cloud DNS "
                           f"API ({type(exc).__name__})", fetched_at)
    return view_of(spec, zone, keys, fetched_at, secrets())


def _http_error(exc: Any, operation: str, spec: CloudDnsZone) -> str:
    status = int(getattr(exc.resp, "status", 0) or 0)
    said = f"HTTP {status}"
    try:
        error = json.loads(exc.content.decode("utf-8")).get("error", {})
        said += f" {error.get('status', '')}: {' '.join(str(error.get('message', '')).split())}"
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass
    said = said.rstrip(": ")
    if status in (401, 403):
        return f"{operation} was denied ({said}); grant dns.managedZones.get and " \
               "dns.dnsKeys.list (roles/dns.reader, read-only)"
    if status == 429:
        return f"{operation} was throttled ({said}), after the client's retries"
    if status == 404:
        return (f"{operation}: no managed zone {spec.managed_zone} in project {spec.project} "
                f"({said})")
    return f"{operation} failed ({said})"


def view_of(spec: CloudDnsZone, zone: Mapping[str, Any], keys: list[Mapping[str, Any]],
            fetched_at: float, secrets: list[str] | None = None) -> ProviderView:
    """The view from the API's ManagedZone and DnsKey resources, as documented."""
    config = zone.get("dnssecConfig") or {}
    state_word = str(config.get("state") or "off")
    specs = tuple(KeySpec(ROLES.get(str(s.get("keyType")), str(s.get("keyType"))),
                          algorithm_number(s.get("algorithm")), str(s.get("algorithm", "")),
                          s.get("keyLength"))
                  for s in config.get("defaultKeySpecs", []) or [])
    evidence = "\n".join([
        f";; Cloud DNS managedZones.get project={spec.project} managedZone={spec.managed_zone}",
        _as_text({k: zone.get(k) for k in ("name", "dnsName", "dnssecConfig", "visibility")}),
        f";; Cloud DNS dnsKeys.list project={spec.project} managedZone={spec.managed_zone}",
        _as_text({"dnsKeys": keys})])
    return ProviderView(
        PROVIDER, f"{spec.project}/{spec.managed_zone}", zone_name=zone.get("dnsName"),
        state=ZONE_STATES.get(state_word, ZoneState.UNKNOWN), status=state_word,
        keys=tuple(_key(k) for k in keys), key_specs=specs,
        denial=config.get("nonExistence") if state_word != "off" else None,
        evidence=scrub(evidence, secrets or ()), fetched_at=fetched_at)


def _key(key: Mapping[str, Any]) -> ProviderKey:
    algorithm = algorithm_number(key.get("algorithm"))
    role = ROLES.get(str(key.get("type")), str(key.get("type")))
    key_tag = key.get("keyTag")
    ds = []
    for digest in key.get("digests", []) or []:
        digest_type = DIGEST_TYPES.get(str(digest.get("type", "")).lower())
        if digest_type and key_tag is not None and algorithm is not None and digest.get("digest"):
            ds.append(ds_text(key_tag, algorithm, digest_type, str(digest["digest"])))
    public_key = key.get("publicKey")
    flags = 257 if role == "KSK" else 256
    return ProviderKey(
        role=role, key_tag=key_tag, algorithm=algorithm,
        algorithm_name=str(key.get("algorithm", "")),
        state=KeyState.ACTIVE if key.get("isActive") else KeyState.INACTIVE,
        status="active" if key.get("isActive") else "inactive",
        key_length=key.get("keyLength"), ds=tuple(ds),
        dnskey=f"{flags} 3 {algorithm} {public_key}" if public_key and algorithm else None,
        name=str(key.get("id", "")))


def _as_text(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, default=str)
