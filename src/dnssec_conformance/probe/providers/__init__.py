"""Cloud DNS providers: each one's own view of a zone's signing, read through its API.

`fetch_view(domain)` is what collection calls, once per zone: it never raises, and a domain
without `provider:` asks nobody (a provider nobody configured needs no credentials).
"""

from __future__ import annotations

import time

from ...config.model import CloudDnsZone, CloudflareZone, DomainSpec, Route53Zone
from .view import (
    PROVIDER_NAMES,
    KeySpec,
    KeyState,
    ProviderKey,
    ProviderView,
    ZoneState,
    failed_view,
    view_from_dict,
)

__all__ = ["PROVIDER_NAMES", "KeySpec", "KeyState", "ProviderKey", "ProviderView",
           "ZoneState", "fetch_view", "view_from_dict"]


def fetch_view(domain: DomainSpec, now: float | None = None) -> ProviderView | None:
    """The provider's view of the domain's zone, or None when the domain names no provider."""
    spec = domain.provider
    if spec is None:
        return None
    fetched_at = time.time() if now is None else now
    try:
        if isinstance(spec, Route53Zone):
            from . import route53

            return route53.fetch(spec, now=fetched_at)
        if isinstance(spec, CloudDnsZone):
            from . import clouddns

            return clouddns.fetch(spec, now=fetched_at)
        if isinstance(spec, CloudflareZone):
            from . import cloudflare

            return cloudflare.fetch(spec, now=fetched_at)
    except Exception as exc:  # the DNS data must survive any SDK surprise
        # Only the type: an SDK's text could quote a request, credentials included.
        provider = {Route53Zone: "route53", CloudDnsZone: "clouddns",
                    CloudflareZone: "cloudflare"}[type(spec)]
        return failed_view(provider, _zone_id(spec), f"unexpected {type(exc).__name__} while "
                           "reading the provider", fetched_at)
    return None


def _zone_id(spec: Route53Zone | CloudDnsZone | CloudflareZone) -> str:
    if isinstance(spec, Route53Zone):
        return spec.hosted_zone_id
    if isinstance(spec, CloudDnsZone):
        return f"{spec.project}/{spec.managed_zone}"
    return spec.zone_id
