"""The resolvers pods use: does each one validate, say so with the AD flag, and refuse what
is bogus? And the CoreDNS in front of them: its Corefile and its metrics.

RESOLVER01 is judged per domain, RESOLVER02 per bogus canary (results.json names the canary
in the record's `domain`), RESOLVER03-07 once per run under the name "coredns". Each finding
about a resolver names it in `server`, with where it came from (`resolvers[0]`, `system`, a
Corefile forward upstream).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dns.rcode

from ..analysis.evaluation import Evaluation
from ..catalog import register
from ..errors import CorefileError, NotApplicable
from ..findings import Category, Finding, Security, Severity
from ..probe.coredns.corefile import Corefile, cache_policies, forward_upstreams, signing_blocks
from ..probe.coredns.metrics import MetricsScrape
from ..probe.resolvers import CoreDnsView, Observation, Survey, has_ad, resolves
from ..probe.transport import Exchange

COREDNS_SUBJECT = "coredns"
NOT_VALIDATED = "answers are not validated: spoofed answers would be accepted"
PROVES_NOTHING = "canary unreachable: the check proves nothing"

SubjectData = Survey | CoreDnsView


def _rcode(exchange: Exchange) -> str:
    rcode = exchange.rcode
    return dns.rcode.to_text(rcode) if rcode is not None else "no answer"


def _unusable(observation: Observation) -> Finding | None:
    """The could-not-check finding when the resolver gave no verdict at all, else None."""
    validated = observation.validated
    where = str(observation.resolver)
    if validated.response is None:
        return Finding(Severity.ERROR,
                       f"resolver unreachable ({validated.failure}): could not check; this is "
                       "an outage of the resolver, not a validation failure",
                       where, observation.evidence, code="resolver-unreachable")
    if validated.rcode == dns.rcode.REFUSED:
        return Finding(Severity.ERROR,
                       "the resolver refuses our queries (REFUSED): could not check; allow "
                       "this client in its access control", where, observation.evidence,
                       code="resolver-refuses")
    if not resolves(validated) and validated.rcode != dns.rcode.SERVFAIL:
        return Finding(Severity.ERROR,
                       f"unexpected answer {_rcode(validated)}: could not check",
                       where, observation.evidence, code="unexpected-answer")
    return None


def _each_resolver(survey: Survey,
                   judge_one: Callable[[Survey, Observation], Finding]) -> Iterator[Finding]:
    """One finding per resolver: could-not-check where it gave no verdict, else its verdict."""
    if not survey.observations:
        yield Finding(Severity.ERROR, "no resolver to ask: could not check",
                      code="no-resolver")
    for observation in survey.observations:
        yield _unusable(observation) or judge_one(survey, observation)


def _rejected_as_bogus(observation: Observation) -> bool:
    """SERVFAIL without CD, an answer with CD=1: the resolver's validation said no."""
    unchecked = observation.unchecked
    return (observation.validated.rcode == dns.rcode.SERVFAIL and unchecked is not None
            and resolves(unchecked))


@register(id="RESOLVER01", name="resolver-validation-status", category=Category.RESOLVER_AD,
          title="Each resolver answers the domain with the AD flag exactly when it is "
                "expected secure",
          severity=Severity.CRITICAL, rfc="RFC 4035 §3.2.3, RFC 6840 §5.7", marker="resolver",
          scope="resolver",
          codes=("bogus-accepted", "bogus-rejected", "corefile-unparsable", "does-not-resolve",
                 "insecure-without-ad", "metrics-not-coredns", "metrics-unreachable",
                 "no-resolver", "not-validated", "nxdomain", "resolver-refuses",
                 "resolver-unreachable", "unexpected-answer", "validated",
                 "validated-expected-insecure", "validated-though-bogus", "validation-fails"))
def resolver_validation_status(survey: Survey, ev: Evaluation) -> Iterator[Finding]:
    """Every resolver in `resolvers` (and every plain-DNS upstream a configured Corefile
    forwards to) is asked for the domain the way a validating stub asks: DO=1, CD=0 and AD=1
    (RFC 6840 §5.7). A domain expected secure must come back with the AD flag: without it
    the answer was not validated on the way to the pod, so a spoofed one would be accepted
    just the same (a resolver that does not validate, or a forwarder that drops the AD flag
    its upstream set, or a zone whose chain of trust is broken: the zone checks tell which).
    A domain expected insecure must resolve without AD; with AD it is signed after all. A
    SERVFAIL that turns into an answer with CD=1 is the resolver rejecting the domain as
    bogus: pods cannot resolve it. A resolver that does not answer is an error (could not
    check), never a validation verdict.

    Remediation: point pods at a validating resolver: CoreDNS does not validate, so its
    `forward` upstream must (Unbound, BIND, Knot Resolver, or a public validating resolver);
    a forwarder in between must pass the AD flag on (dnsmasq: `--proxy-dnssec`). For a
    domain that fails validation, fix the zone (see its other checks); for a domain that is
    validated though expected insecure, set `expect: secure`.
    """
    yield from _each_resolver(survey, _validation_finding)


def _validation_finding(survey: Survey, observation: Observation) -> Finding:
    validated, where, evidence = observation.validated, str(observation.resolver), \
        observation.evidence
    question = survey.question
    if validated.rcode == dns.rcode.SERVFAIL:
        if _rejected_as_bogus(observation) and survey.verdict is Security.BOGUS:
            # The resolver concludes what our own validation does: it is doing its job, and
            # the zone's checks report the zone's failure.
            return Finding(Severity.INFO,
                           f"{question} rejected as bogus (SERVFAIL; with CD=1 it resolves), "
                           "as the zone's own checks find: pods cannot resolve it until the "
                           "zone is fixed", where, evidence, code="bogus-rejected")
        if _rejected_as_bogus(observation):
            return Finding(Severity.CRITICAL,
                           f"{question} fails validation (SERVFAIL; with CD=1 it resolves): "
                           "pods cannot resolve it; the zone checks say why, or, if they pass, "
                           "this resolver's trust anchor or clock is wrong", where, evidence,
                           code="validation-fails")
        unchecked = observation.unchecked
        also = _rcode(unchecked) if unchecked is not None else "not asked"
        return Finding(Severity.ERROR,
                       f"{question} does not resolve (SERVFAIL, and {also} with CD=1): an "
                       "outage, not a validation verdict: could not check", where, evidence,
                       code="does-not-resolve")
    if validated.rcode == dns.rcode.NXDOMAIN:
        return Finding(Severity.CRITICAL,
                       f"{question}: NXDOMAIN: the name does not exist as pods see it",
                       where, evidence, code="nxdomain")
    if survey.verdict is Security.BOGUS and not has_ad(validated):
        return Finding(Severity.CRITICAL,
                       f"{question} fails validation from the trust anchor, yet this resolver "
                       f"returns it (no AD flag): {NOT_VALIDATED}", where, evidence,
                       code="bogus-accepted")
    if survey.verdict is Security.BOGUS:
        return Finding(Severity.INFO,
                       f"{question} validated (AD) by this resolver though the zone's checks "
                       "find it bogus: its tolerance (clock skew) differs; see the zone's "
                       "checks", where, evidence, code="validated-though-bogus")
    if survey.verdict is Security.INSECURE and not has_ad(validated):
        return Finding(Severity.INFO,
                       f"{question} resolves without AD, as it should: the zone has no secure "
                       "delegation (the zone's DS01 check reports it)", where, evidence,
                       code="insecure-without-ad")
    if survey.expect == "secure" and not has_ad(validated):
        return Finding(Severity.CRITICAL,
                       f"{question} comes back without the AD flag: {NOT_VALIDATED}",
                       where, evidence, code="not-validated")
    if survey.expect == "insecure" and has_ad(validated):
        return Finding(Severity.WARNING,
                       f"{question} is validated (AD) though domains.yaml expects it "
                       "insecure: set `expect: secure` so that its validation is checked",
                       where, evidence, code="validated-expected-insecure")
    verdict = "validated (AD flag set)" if has_ad(validated) else "resolves, insecure (no AD)"
    return Finding(Severity.INFO, f"{question} {verdict}", where, code="validated")


@register(id="RESOLVER02", name="bogus-canary-rejected", category=Category.RESOLVER_AD,
          title="Each resolver answers a bogus canary with SERVFAIL, and resolves it with CD=1",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.5, RFC 4035 §3.2.2", marker="resolver",
          scope="canary",
          codes=("canary-accepted", "canary-missing", "canary-not-bogus", "canary-rejected",
                 "canary-resolves", "canary-secure", "canary-undecided", "canary-unresolvable",
                 "corefile-unparsable", "metrics-not-coredns", "metrics-unreachable",
                 "no-resolver", "resolver-refuses", "resolver-unreachable", "unexpected-answer"))
def bogus_canary_rejected(survey: Survey, ev: Evaluation) -> Iterator[Finding]:
    """A canary of `canaries.bogus` is a name whose signatures are deliberately broken. A
    resolver that enforces validation answers it SERVFAIL; asked again with CD=1 (checking
    disabled) it returns the data, which proves that the SERVFAIL came from validation and not
    from an outage. A resolver that returns the canary's data without CD does not enforce
    validation: pods would accept spoofed answers (critical); one that even sets the AD flag
    on a canary our own validation finds bogus claims to have validated it (critical). A
    canary that does not resolve even with CD=1, that does not exist, or that our own
    validation finds secure proves nothing (error).
    Judged per canary: results.json names the record after it.

    Remediation: make the resolvers pods use validate: CoreDNS does not, so its `forward`
    upstream must (Unbound with a trust anchor, BIND with `dnssec-validation auto`, or a
    public validating resolver). A canary that proves nothing: check that it still exists and
    is still bogus (`dig +cd NAME` resolves, `dig NAME` gets SERVFAIL from a validating
    resolver), or list another one.
    """
    yield from _each_resolver(survey, _canary_finding)


def _canary_finding(survey: Survey, observation: Observation) -> Finding:
    validated, unchecked = observation.validated, observation.unchecked
    where, evidence, question = str(observation.resolver), observation.evidence, \
        survey.question
    if validated.rcode == dns.rcode.NXDOMAIN:
        return Finding(Severity.ERROR,
                       f"{question}: NXDOMAIN: the canary does not exist; {PROVES_NOTHING}",
                       where, evidence, code="canary-missing")
    if validated.rcode == dns.rcode.NOERROR:
        if has_ad(validated) and survey.verdict is Security.BOGUS:
            return Finding(Severity.CRITICAL,
                           f"{question} comes back validated (AD) though our own validation "
                           "from the trust anchor finds the canary bogus: the resolver accepts "
                           "what it must reject, so spoofed answers would be accepted too",
                           where, evidence, code="canary-accepted")
        if has_ad(validated) and survey.verdict in (None, Security.UNKNOWN):
            return Finding(Severity.ERROR,
                           f"{question} comes back validated (AD), and our own validation "
                           "could not decide whether the canary is still bogus (its servers "
                           f"or its parent's did not answer usably); {PROVES_NOTHING}",
                           where, evidence, code="canary-undecided")
        if has_ad(validated):
            return Finding(Severity.ERROR,
                           f"{question} validates as secure (AD): the canary is not bogus "
                           "(any more); the check proves nothing", where, evidence,
                           code="canary-secure")
        if survey.verdict in (Security.SECURE, Security.INSECURE):
            return Finding(Severity.ERROR,
                           f"{question} resolves, but the canary is not bogus any more (our "
                           f"own validation finds it {survey.verdict}); {PROVES_NOTHING}",
                           where, evidence, code="canary-not-bogus")
        return Finding(Severity.CRITICAL,
                       f"the bogus canary {question} resolves (NOERROR): the resolver does "
                       "not enforce DNSSEC validation, so spoofed answers would be accepted",
                       where, evidence, code="canary-resolves")
    if unchecked is not None and unchecked.rcode == dns.rcode.NOERROR and unchecked.response \
            and unchecked.answer(survey.rdtype) is not None:
        return Finding(Severity.INFO,
                       f"the bogus canary {question} is refused (SERVFAIL) and resolves with "
                       "CD=1: the resolver enforces validation", where, code="canary-rejected")
    also = _rcode(unchecked) if unchecked is not None else "not asked"
    if unchecked is not None and unchecked.rcode == dns.rcode.NOERROR:
        also = "NOERROR without data"
    return Finding(Severity.ERROR,
                   f"{question}: SERVFAIL, and {also} with CD=1: {PROVES_NOTHING}",
                   where, evidence, code="canary-unresolvable")


# --- CoreDNS: the Corefile -------------------------------------------------------------------


def _corefile(view: CoreDnsView) -> Corefile | Finding:
    """The parsed Corefile, or the error finding for one that does not parse."""
    if view.corefile_path is None:
        raise NotApplicable("no coredns.corefile in domains.yaml")
    if view.corefile is None:
        return Finding(Severity.ERROR,
                       f"the Corefile does not parse: {view.corefile_error}: could not check",
                       code="corefile-unparsable")
    return view.corefile


@register(id="RESOLVER03", name="coredns-dnssec-plugin", category=Category.RESOLVER_AD,
          title="CoreDNS's dnssec plugin is not taken for validation: it signs, it does not "
                "validate",
          severity=Severity.WARNING, rfc="RFC 4035 §2, RFC 4035 §5", marker="resolver",
          scope="coredns", subject=COREDNS_SUBJECT,
          codes=("corefile-unparsable", "dnssec-plugin", "metrics-not-coredns",
                 "metrics-unreachable", "no-resolver", "resolver-refuses", "resolver-unreachable",
                 "unexpected-answer"))
def coredns_dnssec_plugin(view: CoreDnsView, ev: Evaluation) -> Iterator[Finding]:
    """CoreDNS's `dnssec` plugin signs, on the fly, the answers CoreDNS serves for its zones,
    with the keys it is given (without any key it does nothing at all). It does not validate
    anything: a `dnssec` block in the Corefile, however it is commented, gives pods no
    protection against spoofed answers. Whether they get any depends on the upstream CoreDNS
    forwards to, which RESOLVER01 and RESOLVER02 test.
    Judged once per run; results.json names the record "coredns".

    Remediation: remove a `dnssec` block that was meant to validate (and any comment that says
    it does), and make the `forward` upstream a validating resolver. Keep `dnssec` only to sign
    a zone CoreDNS is authoritative for, with `key file` lines, and publish its DS.
    """
    corefile = _corefile(view)
    if isinstance(corefile, Finding):
        yield corefile
        return
    for block in signing_blocks(corefile):
        where = corefile.where(block.line)
        zones = ", ".join(block.zones)
        if block.key_files:
            what = f"signs what it serves for {zones} with {', '.join(block.key_files)}"
        else:
            what = "has no key, so it signs nothing"
        yield Finding(Severity.WARNING,
                      f"{where}: the dnssec plugin in server block {block.server.label} {what}; "
                      "it signs, it does not validate: pods get no DNSSEC protection from it",
                      code="dnssec-plugin")


@register(id="RESOLVER04", name="coredns-forward-upstreams", category=Category.RESOLVER_AD,
          title="CoreDNS's forward upstreams are known, and tested as resolvers",
          severity=Severity.ERROR, rfc="RFC 4035 §4.9.3, RFC 4033 §7", marker="resolver",
          scope="coredns", subject=COREDNS_SUBJECT,
          codes=("corefile-unparsable", "metrics-not-coredns", "metrics-unreachable", "no-forward",
                 "no-resolver", "resolver-refuses", "resolver-unreachable", "unexpected-answer",
                 "upstreams", "upstreams-unchecked"))
def coredns_forward_upstreams(view: CoreDnsView, ev: Evaluation) -> Iterator[Finding]:
    """CoreDNS validates nothing itself: the AD flag pods see is the one its `forward`
    upstream set (and its cache kept). Every plain-DNS upstream that `forward .` sends all
    names to is therefore added to the resolvers RESOLVER01 and RESOLVER02 test, named after
    its Corefile line. This check lists them, and says which cannot be tested from here:
    `/etc/resolv.conf` is the node's resolver configuration, not the pod's; DNS-over-TLS
    upstreams are not asked; a `forward` for one zone only sees that zone's names.
    Judged once per run; results.json names the record "coredns".

    Remediation: forward to validating resolvers by address, and list them (or `system`,
    which is CoreDNS itself inside a pod) in `resolvers`. For `forward . /etc/resolv.conf`,
    find the node's nameservers and test them with `resolvers: [IP, ...]` from a host that can
    reach them.
    """
    corefile = _corefile(view)
    if isinstance(corefile, Finding):
        yield corefile
        return
    try:
        upstreams = forward_upstreams(corefile)
    except CorefileError as exc:
        yield Finding(Severity.ERROR, f"{exc}: could not check",
                      code="upstreams-unchecked")
        return
    if not upstreams:
        yield Finding(Severity.INFO,
                      "no forward directive: CoreDNS resolves only the zones it serves itself",
                      code="no-forward")
    for upstream in upstreams:
        where = corefile.where(upstream.line)
        scope = "every name" if upstream.general \
            else f"names under {', '.join(upstream.zones)}"
        head = f"{where}: forward sends {scope} to {upstream.target}"
        if upstream.kind == "file":
            tail = ("the nameservers of that file on the CoreDNS node, not this pod's: they "
                    "are tested only through CoreDNS itself (resolvers: [system] from a pod)")
        elif upstream.kind == "tls":
            tail = "DNS over TLS: not asked by this suite (plain DNS only)"
        elif upstream.address is None:
            tail = "an upstream this suite cannot ask"
        elif upstream.general:
            tail = f"tested as resolver {upstream.address} (see RESOLVER01, RESOLVER02)"
        else:
            tail = "not tested as a general resolver: it only sees that zone's names"
        yield Finding(Severity.INFO, f"{head}: {tail}", code="upstreams")


@register(id="RESOLVER05", name="coredns-cache-stale", category=Category.RESOLVER_AD,
          title="CoreDNS's cache does not serve answers long past their TTL",
          severity=Severity.WARNING, rfc="RFC 4035 §5.3.3, RFC 8767", marker="resolver",
          scope="coredns", subject=COREDNS_SUBJECT,
          codes=("cache-unchecked", "corefile-unparsable", "long-cache", "metrics-not-coredns",
                 "metrics-unreachable", "no-resolver", "resolver-refuses", "resolver-unreachable",
                 "serves-stale", "unexpected-answer"))
def coredns_cache_stale(view: CoreDnsView, ev: Evaluation) -> Iterator[Finding]:
    """A validating resolver caps an answer's TTL at its signatures' expiry (RFC 4035 §5.3.3).
    CoreDNS's cache keeps the AD flag of what it cached, and two settings make it serve an
    answer after that TTL: `serve_stale` (by default for an hour; `immediate` mode without
    asking upstream first) and a MINTTL on `success` or `denial` that raises short TTLs. Either
    can hand pods an answer marked validated after its signatures expired. Beyond
    `coredns.stale_tolerance_s` (default 300 s) it is a warning.
    Judged once per run; results.json names the record "coredns".

    Remediation: drop `serve_stale` (or give it a duration within the tolerance and the
    `verify` mode), and keep MINTTL at its default (5 s).
    """
    corefile = _corefile(view)
    if isinstance(corefile, Finding):
        yield corefile
        return
    try:
        policies = cache_policies(corefile)
    except CorefileError as exc:
        yield Finding(Severity.ERROR, f"{exc}: could not check",
                      code="cache-unchecked")
        return
    tolerance = view.stale_tolerance_s
    for policy in policies:
        block = policy.server.label
        if policy.serve_stale_s is not None and policy.serve_stale_line is not None:
            severity = Severity.WARNING if policy.serve_stale_s > tolerance else Severity.INFO
            yield Finding(severity,
                          f"{corefile.where(policy.serve_stale_line)}: the cache of server block "
                          f"{block} serves expired answers for up to "
                          f"{policy.serve_stale_s:g} s ({policy.serve_stale_mode}), with their "
                          f"AD flag, possibly past their signatures' expiry (tolerance "
                          f"{tolerance:g} s)", code="serves-stale")
        for kind, min_ttl, line in policy.min_ttls:
            if min_ttl > tolerance:
                yield Finding(Severity.WARNING,
                              f"{corefile.where(line)}: the cache of server block {block} "
                              f"keeps {kind} answers at least {min_ttl} s, past the TTL a "
                              f"validator capped at their signatures' expiry (tolerance "
                              f"{tolerance:g} s)", code="long-cache")


# --- CoreDNS: the metrics ----------------------------------------------------------------------


def _metrics(view: CoreDnsView) -> MetricsScrape | Finding:
    metrics = view.metrics
    if metrics is None:
        raise NotApplicable("no coredns.metrics_url in domains.yaml")
    if metrics.failure is not None:
        return Finding(Severity.ERROR,
                       f"metrics endpoint {metrics.url}: {metrics.failure}: could not check",
                       code="metrics-unreachable")
    if not metrics.is_coredns:
        return Finding(Severity.ERROR,
                       f"metrics endpoint {metrics.url} exports no coredns_dns_responses_total: "
                       "not CoreDNS's metrics (the prometheus plugin, port 9153)",
                       code="metrics-not-coredns")
    return metrics


@register(id="RESOLVER06", name="coredns-servfail-share", category=Category.RESOLVER_AD,
          title="Few of CoreDNS's responses are SERVFAIL",
          severity=Severity.WARNING, rfc="RFC 4035 §5.5", marker="resolver",
          scope="coredns", subject=COREDNS_SUBJECT,
          codes=("corefile-unparsable", "metrics-not-coredns", "metrics-unreachable",
                 "no-resolver", "no-responses", "resolver-refuses", "resolver-unreachable",
                 "servfail-share", "unexpected-answer"))
def coredns_servfail_share(view: CoreDnsView, ev: Evaluation) -> Iterator[Finding]:
    """A validating upstream answers bogus names with SERVFAIL, and CoreDNS passes it on: a
    rising share of SERVFAIL among `coredns_dns_responses_total` is how a validation failure
    (or an unreachable upstream) shows from inside the cluster. The counters run from
    CoreDNS's start; above `coredns.servfail_share_warning` (default 1 %) it is a warning.
    Judged once per run; results.json names the record "coredns".

    Remediation: find the failing names (the `errors` plugin logs them, or `log` with
    `class error`), then ask the upstream with and without CD (`dig +cd`): an answer with CD
    only is a zone that fails validation; none at all is an upstream outage.
    """
    metrics = _metrics(view)
    if isinstance(metrics, Finding):
        yield metrics
        return
    share = metrics.servfail_share
    if share is None:
        yield Finding(Severity.INFO, "no responses counted yet", code="no-responses")
        return
    servfail = metrics.responses_by_rcode.get("SERVFAIL", 0.0)
    limit = view.servfail_share_warning
    severity = Severity.WARNING if share > limit else Severity.INFO
    yield Finding(severity,
                  f"SERVFAIL is {share:.2%} of CoreDNS's responses ({servfail:.0f} of "
                  f"{metrics.responses:.0f} since it started; warning above {limit:.2%})",
                  code="servfail-share")


@register(id="RESOLVER07", name="coredns-cache-hit-ratio", category=Category.RESOLVER_AD,
          title="CoreDNS's cache answers a healthy share of lookups",
          severity=Severity.WARNING, rfc="RFC 4035 §4.5", marker="resolver",
          scope="coredns", subject=COREDNS_SUBJECT,
          codes=("cache-hit-ratio", "corefile-unparsable", "metrics-not-coredns",
                 "metrics-unreachable", "no-cache-metrics", "no-lookups", "no-resolver",
                 "resolver-refuses", "resolver-unreachable", "unexpected-answer"))
def coredns_cache_hit_ratio(view: CoreDnsView, ev: Evaluation) -> Iterator[Finding]:
    """The share of cache lookups answered from CoreDNS's cache
    (`coredns_cache_hits_total` over hits plus `coredns_cache_misses_total`, or over
    `coredns_cache_requests_total`). A low ratio sends most queries, and their validation,
    to the upstream: more latency, and more exposure to an upstream that fails. Below
    `coredns.cache_hit_ratio_warning` (default 50 %) it is a warning; without cache
    counters the cache plugin is off.
    Judged once per run; results.json names the record "coredns".

    Remediation: enable `cache` in the server block pods use; check that `disable` and the
    capacity settings leave the hot names cached, and that the upstream's TTLs are not tiny.
    """
    metrics = _metrics(view)
    if isinstance(metrics, Finding):
        yield metrics
        return
    ratio = metrics.cache_hit_ratio
    if metrics.cache_hits is None:
        yield Finding(Severity.WARNING,
                      "CoreDNS exports no cache counters: the cache plugin is not enabled",
                      code="no-cache-metrics")
        return
    if ratio is None:
        yield Finding(Severity.INFO, "no cache lookups counted yet",
                      code="no-lookups")
        return
    limit = view.cache_hit_ratio_warning
    severity = Severity.WARNING if ratio < limit else Severity.INFO
    yield Finding(severity,
                  f"the cache answers {ratio:.1%} of lookups ({metrics.cache_hits:.0f} hits of "
                  f"{metrics.cache_lookups:.0f} since CoreDNS started; warning below "
                  f"{limit:.0%})", code="cache-hit-ratio")
