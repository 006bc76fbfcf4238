"""Cloudflare: a zone's DNSSEC as Cloudflare reports it (GET /zones/{id} and
/zones/{id}/dnssec of the v4 API), read with requests.

The API token comes from an environment variable (`CLOUDFLARE_API_TOKEN` unless the domain
names another), set from a Secret; the endpoint from `CLOUDFLARE_BASE_URL`, the variable
Cloudflare's own SDKs read. The token is sent as `Authorization: Bearer` and nowhere else.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

import requests

from ...config.model import CloudflareZone
from ...errors import ConformanceError
from .secrets import library_logs_scrubbed, scrub
from .view import (
    DIGEST_TYPES,
    KeyState,
    ProviderKey,
    ProviderView,
    ZoneState,
    algorithm_number,
    failed_view,
    parse_ds,
)

PROVIDER = "cloudflare"
BASE_URL_ENV = "CLOUDFLARE_BASE_URL"
DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
TIMEOUT_S = (5.0, 15.0)
ZONE_STATES = {
    "active": ZoneState.SIGNING,
    "pending": ZoneState.PENDING_DS,
    "pending-disabled": ZoneState.PENDING_DISABLED,
    "disabled": ZoneState.NOT_SIGNING,
    "error": ZoneState.FAILING,
}


def base_url() -> str:
    return (os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).strip().rstrip("/")


class _CallFailed(ConformanceError):
    pass


def fetch(spec: CloudflareZone, now: float | None = None) -> ProviderView:
    """Cloudflare's view of the zone; a failed call is a view with `failure` set."""
    fetched_at = time.time() if now is None else now
    token = os.environ.get(spec.api_token_env, "").strip()
    if not token:
        return failed_view(PROVIDER, spec.zone_id, f"no API token: the environment variable "
                           f"{spec.api_token_env} is not set", fetched_at)
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}",
                            "Accept": "application/json"})
    try:
        with library_logs_scrubbed(lambda: [token]):
            zone = _get(session, f"/zones/{spec.zone_id}", token)
            dnssec = _get(session, f"/zones/{spec.zone_id}/dnssec", token)
    except _CallFailed as exc:
        return failed_view(PROVIDER, spec.zone_id, str(exc), fetched_at)
    finally:
        session.close()
    return view_of(spec, zone, dnssec, fetched_at)


def _get(session: requests.Session, path: str, token: str) -> Mapping[str, Any]:
    what = f"GET {path}"
    try:
        response = session.get(base_url() + path, timeout=TIMEOUT_S, allow_redirects=False)
    except requests.Timeout:
        raise _CallFailed(f"{what}: no answer from the API in time") from None
    except requests.RequestException as exc:
        raise _CallFailed(f"{what}: could not reach the API ({type(exc).__name__})") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and body.get("success"):
        result = body.get("result")
        if isinstance(result, dict):
            return result
    said = scrub(_api_errors(body) or f"HTTP {response.status_code}", [token])
    if response.status_code in (401, 403):
        raise _CallFailed(f"{what} was denied ({said}): the token needs Zone Read and DNS "
                          "Read on this zone")
    if response.status_code == 429:
        raise _CallFailed(f"{what} was throttled ({said})")
    if response.status_code == 404:
        raise _CallFailed(f"{what}: no such zone ({said}): check provider.cloudflare.zone_id")
    raise _CallFailed(f"{what} failed ({said})")


def _api_errors(body: Any) -> str:
    """The API's own `errors` list, as one line: "9109: Invalid access token"."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return ""
    parts = []
    for error in body["errors"][:3]:
        if isinstance(error, dict):
            message = " ".join(str(error.get("message", "")).split())
            parts.append(f"{error.get('code', '?')}: {message}")
    return "; ".join(parts)


def view_of(spec: CloudflareZone, zone: Mapping[str, Any], dnssec: Mapping[str, Any],
            fetched_at: float) -> ProviderView:
    """The view from the two API answers, as the API documents them."""
    status = str(dnssec.get("status") or "")
    state = ZONE_STATES.get(status, ZoneState.UNKNOWN)
    if status == "disabled" and dnssec.get("modified_on") is None:
        status = "disabled (never enabled, or deleted)"
    keys: tuple[ProviderKey, ...] = ()
    if dnssec.get("public_key") or dnssec.get("ds"):
        keys = (_key(dnssec, state),)
    use_nsec3 = dnssec.get("dnssec_use_nsec3")
    evidence = "\n".join([f";; Cloudflare GET /zones/{spec.zone_id}",
                          _as_text({k: zone.get(k) for k in ("id", "name", "status")}),
                          f";; Cloudflare GET /zones/{spec.zone_id}/dnssec",
                          _as_text(dict(dnssec))])
    zone_name = zone.get("name")
    return ProviderView(
        PROVIDER, spec.zone_id,
        zone_name=f"{str(zone_name).rstrip('.')}." if zone_name else None,
        state=state, status=status, keys=keys,
        denial=None if use_nsec3 is None else ("nsec3" if use_nsec3 else "nsec"),
        evidence=evidence, fetched_at=fetched_at)


def _key(dnssec: Mapping[str, Any], state: ZoneState) -> ProviderKey:
    """Cloudflare's one key: its DS as given (a whole record, or its fields)."""
    algorithm = algorithm_number(dnssec.get("algorithm"))
    flags = int(dnssec.get("flags") or 257)
    key_tag = int(dnssec["key_tag"]) if dnssec.get("key_tag") is not None else None
    ds = []
    record = str(dnssec.get("ds") or "")
    rdata = record.split(" DS ", 1)[1] if " DS " in record else record
    if rdata and parse_ds(rdata) is not None:
        ds.append(" ".join(rdata.split()))
    elif dnssec.get("digest") and key_tag is not None and algorithm is not None:
        digest_type = str(dnssec.get("digest_type") or "")
        number = int(digest_type) if digest_type.isdigit() else DIGEST_TYPES.get(
            str(dnssec.get("digest_algorithm", "")).lower())
        if number is not None:
            ds.append(f"{key_tag} {algorithm} {number} {str(dnssec['digest']).upper()}")
    public_key = dnssec.get("public_key")
    # Cloudflare signs in every state but "deleted" (pending-disabled and disabled included)
    return ProviderKey(
        role="KSK" if flags & 1 else "ZSK", key_tag=key_tag, algorithm=algorithm,
        algorithm_name=str(dnssec.get("key_type") or dnssec.get("algorithm") or ""),
        state=KeyState.ACTIVE if state is not ZoneState.UNKNOWN else KeyState.UNKNOWN,
        status=str(dnssec.get("status") or ""), ds=tuple(ds),
        dnskey=f"{flags} 3 {algorithm} {public_key}" if public_key and algorithm else None)


def _as_text(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, default=str)
