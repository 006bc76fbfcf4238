"""The Corefile parser on real-world Corefiles, and the CoreDNS configuration checks
(RESOLVER03-05) on what it finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.config.model import ResolverAddress
from dnssec_conformance.errors import ConformanceError, CorefileError
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.coredns.corefile import (
    cache_policies,
    forward_upstreams,
    load_corefile,
    parse_corefile,
    parse_duration,
    signing_blocks,
)
from dnssec_conformance.probe.resolvers import CoreDnsView, ResolverTarget, upstream_targets

# What `kubectl -n kube-system get cm coredns -o yaml` prints on a kubeadm v1.31 cluster.
KUBEADM_CONFIGMAP = """\
apiVersion: v1
data:
  Corefile: |
    .:53 {
        errors
        health {
           lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
           pods insecure
           fallthrough in-addr.arpa ip6.arpa
           ttl 30
        }
        prometheus :9153
        forward . /etc/resolv.conf {
           max_concurrent 1000
        }
        cache 30 {
           disable success cluster.local
           disable denial cluster.local
        }
        loop
        reload
        loadbalance
    }
kind: ConfigMap
metadata:
  creationTimestamp: "2025-03-11T08:21:54Z"
  name: coredns
  namespace: kube-system
  resourceVersion: "231"
  uid: 0c3d8a56-2f4e-4f0b-9d0e-6b1f5e0f7c11
"""

# The guide's "coredns-configmap.yaml", as it presents CoreDNS "configured for DNSSEC".
GUIDE_CONFIGMAP = """\
# coredns-configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
data:
  Corefile: |
    .:53 {
        errors
        health {
            lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        prometheus :9153
        forward . /etc/resolv.conf {
            max_concurrent 1000
        }
        cache 30
        loop
        reload
        loadbalance

        # Enable DNSSEC validation
        dnssec {
            # Validate DNSSEC for upstream queries
        }
    }
"""

# A plain Corefile forwarding to a named upstream resolver (and a stub domain, over TLS too).
NAMED_UPSTREAM = """\
.:53 {
    errors
    health
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    prometheus :9153
    forward . 10.96.0.53 dns://10.96.0.54:5353 tls://9.9.9.9 {
        tls_servername dns.quad9.net
        policy sequential
    }
    cache 300 {
        serve_stale 2h verify
    }
}
consul.local:53 {
    errors
    cache 30
    forward . 10.150.0.1
}
"""

# k3s ships a Corefile that imports files the suite does not read.
K3S_STYLE = """\
(common) {
    errors
    health
}
.:53 {
    import common
    hosts /etc/coredns/NodeHosts {
      ttl 60
      reload 15s
      fallthrough
    }
    forward . /etc/resolv.conf
    cache 30 { success 9984 30 3600 }
    import /etc/coredns/custom/*.override
}
import /etc/coredns/custom/*.server
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def view_of(path: str, stale_tolerance_s: float = 300.0) -> CoreDnsView:
    try:
        return CoreDnsView(path, load_corefile(path), stale_tolerance_s=stale_tolerance_s)
    except CorefileError as exc:
        return CoreDnsView(path, None, str(exc))


EVALUATION = Evaluation(0.0, None, None, None)  # type: ignore[arg-type]  (unused here)


def coredns_findings(view: CoreDnsView) -> dict[str, list]:
    results = {check: catalog.run(check, view, EVALUATION)
               for check in ("RESOLVER03", "RESOLVER04", "RESOLVER05")}
    return {check: result.findings for check, result in results.items()}


def test_kubeadm_configmap_parses_with_lines_of_the_yaml_file(tmp_path: Path) -> None:
    path = write(tmp_path, "coredns.yaml", KUBEADM_CONFIGMAP)

    corefile = load_corefile(path)

    (server,) = corefile.servers
    assert server.keys == (".:53",) and server.serves_root
    assert [d.name for d in server.directives] == [
        "errors", "health", "ready", "kubernetes", "prometheus", "forward", "cache", "loop",
        "reload", "loadbalance"]
    forward = server.plugins("forward")[0]
    assert forward.args == (".", "/etc/resolv.conf")
    assert forward.settings("max_concurrent")[0].args == ("1000",)
    # `forward` is on line 16 of the YAML file, line 13 of the Corefile inside it
    assert forward.line == 13 and corefile.where(forward.line) == f"{path}:16"


def test_kubeadm_default_gets_findings_only_about_its_upstream(tmp_path: Path) -> None:
    findings = coredns_findings(view_of(write(tmp_path, "coredns.yaml", KUBEADM_CONFIGMAP)))

    assert findings["RESOLVER03"] == [] and findings["RESOLVER05"] == []
    (upstream,) = findings["RESOLVER04"]
    assert upstream.severity is Severity.INFO
    assert "/etc/resolv.conf" in upstream.message and "coredns.yaml:16" in upstream.message
    assert "node" in upstream.message


def test_the_guides_dnssec_block_signs_and_does_not_validate(tmp_path: Path) -> None:
    path = write(tmp_path, "coredns-configmap.yaml", GUIDE_CONFIGMAP)

    view = view_of(path)
    result = catalog.run("RESOLVER03", view, EVALUATION)

    assert result.outcome is Outcome.WARNING
    (finding,) = result.findings
    assert "signs, it does not validate" in finding.message
    assert "has no key, so it signs nothing" in finding.message
    # the `dnssec` line: line 22 of the Corefile, line 30 of the YAML file
    assert finding.message.startswith(f"{path}:30: ")
    assert signing_blocks(view.corefile)[0].zones == (".",)  # type: ignore[arg-type]


def test_a_dnssec_block_with_keys_is_reported_as_signing(tmp_path: Path) -> None:
    text = "example.org {\n    file db.example.org\n    dnssec {\n" \
           "        key file Kexample.org.+013+45330\n    }\n}\n"
    result = catalog.run("RESOLVER03", view_of(write(tmp_path, "Corefile", text)),
                   EVALUATION)
    (finding,) = result.findings
    assert "signs what it serves for example.org. with Kexample.org.+013+45330" \
        in finding.message
    assert finding.message.startswith(f"{tmp_path}/Corefile:3:")


def test_named_upstreams_are_tested_as_resolvers(tmp_path: Path) -> None:
    corefile = load_corefile(write(tmp_path, "Corefile", NAMED_UPSTREAM))
    configured = [ResolverTarget(ResolverAddress("10.96.0.53"), "resolvers[0]")]

    upstreams = forward_upstreams(corefile)
    targets = upstream_targets(corefile, configured)

    assert [(u.target, u.kind, u.general) for u in upstreams] == [
        ("10.96.0.53", "dns", True), ("dns://10.96.0.54:5353", "dns", True),
        ("tls://9.9.9.9", "tls", True), ("10.150.0.1", "dns", False)]
    # the configured 10.96.0.53 is not asked twice; TLS and the stub domain are not tested
    assert targets == [ResolverTarget(ResolverAddress("10.96.0.54", 5353),
                                      f"CoreDNS forward upstream, {tmp_path}/Corefile:9")]


def test_named_upstream_findings_say_what_is_tested(tmp_path: Path) -> None:
    findings = coredns_findings(view_of(write(tmp_path, "Corefile", NAMED_UPSTREAM)))

    messages = [f.message for f in findings["RESOLVER04"]]
    assert all(f.severity is Severity.INFO for f in findings["RESOLVER04"])
    assert any("10.96.0.54:5353" in m and "tested as resolver" in m for m in messages)
    assert any("tls://9.9.9.9" in m and "not asked" in m for m in messages)
    assert any("names under consul.local." in m and "10.150.0.1" in m for m in messages)
    assert findings["RESOLVER03"] == []


def test_serve_stale_is_a_warning_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Corefile", NAMED_UPSTREAM)

    result = catalog.run("RESOLVER05", view_of(path), EVALUATION)

    assert result.outcome is Outcome.WARNING
    (finding,) = result.findings
    assert finding.message.startswith(f"{path}:14:")
    assert "7200 s (verify)" in finding.message and "AD flag" in finding.message


def test_serve_stale_within_the_tolerance_is_information(tmp_path: Path) -> None:
    text = ".:53 {\n    forward . 10.0.0.1\n    cache {\n        serve_stale 60s\n    }\n}\n"
    result = catalog.run("RESOLVER05", view_of(write(tmp_path, "Corefile", text)),
                   EVALUATION)
    assert result.outcome is Outcome.PASSED and result.findings[0].severity is Severity.INFO


def test_snippets_one_line_blocks_and_file_imports(tmp_path: Path) -> None:
    path = write(tmp_path, "Corefile", K3S_STYLE)

    corefile = load_corefile(path)

    (server,) = corefile.servers
    assert [d.name for d in server.directives] == [
        "errors", "health", "hosts", "forward", "cache", "import"]
    assert [d.args for d in corefile.imports] == [("/etc/coredns/custom/*.server",)]
    (policy,) = cache_policies(corefile)
    assert policy.max_ttl_s == 30 and policy.min_ttls == (("success", 3600, 13),)
    result = catalog.run("RESOLVER05", view_of(path), EVALUATION)
    assert result.outcome is Outcome.WARNING
    assert "keeps success answers at least 3600 s" in result.message


@pytest.mark.parametrize(("text", "line", "what"), [
    (".:53 {\n    errors\n    forward . 8.8.8.8 {\n        max_fails 3\n}\n",
     1, "this '{' is never closed"),
    (".:53 {\n    errors\n}\n}\n", 4, "'}' without a block to close"),
    (".:53 {\n    forward . \"8.8.8.8\n}\n", 2, "unterminated quoted string"),
    ("{\n    errors\n}\n", 1, "'{' without server block keys before it"),
    (".:53 {\n    errors\n}\nexample.org\n    whoami\n", 4,
     "expected '{' after the server block keys example.org"),
    (".:53 {\n    cache {\n        serve_stale 1day\n    }\n}\n", 3, "not a duration"),
    ("# nothing but a comment\n", 1, "no server block"),
])
def test_syntax_errors_name_the_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = write(tmp_path, "Corefile", text)

    with pytest.raises(CorefileError) as caught:
        corefile = load_corefile(path)
        cache_policies(corefile)

    assert isinstance(caught.value, ConformanceError)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert what in str(caught.value)


def test_a_corefile_that_does_not_parse_is_an_error_finding_not_a_traceback(
        tmp_path: Path) -> None:
    broken = KUBEADM_CONFIGMAP.replace("           lameduck 5s\n        }\n",
                                       "           lameduck 5s\n")
    path = write(tmp_path, "coredns.yaml", broken)

    for check in ("RESOLVER03", "RESOLVER04", "RESOLVER05"):
        result = catalog.run(check, view_of(path), EVALUATION)
        assert result.outcome is Outcome.ERROR
        assert f"the Corefile does not parse: {path}:" in result.message
        assert "never closed" in result.message


def test_a_configmap_without_corefile_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  foo: bar\n")
    with pytest.raises(CorefileError, match=r"without a ConfigMap data\.Corefile"):
        load_corefile(path)


def test_a_quoted_corefile_string_is_located_by_its_own_lines(tmp_path: Path) -> None:
    text = 'apiVersion: v1\nkind: ConfigMap\ndata:\n  Corefile: ".:53 {\\n    errors \\n}\\n}"\n'
    path = write(tmp_path, "cm.yaml", text)
    with pytest.raises(CorefileError) as caught:
        load_corefile(path)
    assert str(caught.value) == f"{path} (Corefile line 4): '}}' without a block to close"


def test_a_kubectl_list_is_searched_for_the_corefile(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n" \
           "  data:\n    Corefile: |\n      .:53 {\n          forward . 1.1.1.1\n      }\n"
    corefile = load_corefile(write(tmp_path, "list.yaml", text))
    assert forward_upstreams(corefile)[0].address == ResolverAddress("1.1.1.1")
    assert corefile.where(2) == f"{tmp_path}/list.yaml:9"


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(CorefileError, match="file does not exist"):
        load_corefile(str(tmp_path / "nope"))
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CorefileError, match="not UTF-8"):
        load_corefile(str(tmp_path / "bin"))


def test_braceless_single_server_block() -> None:
    corefile = parse_corefile(".:53\nforward . 8.8.8.8\ncache\n")
    assert [d.name for d in corefile.servers[0].directives] == ["forward", "cache"]


@pytest.mark.parametrize(("text", "seconds"), [
    ("1h", 3600.0), ("30m", 1800.0), ("90s", 90.0), ("1h30m", 5400.0), ("500ms", 0.5),
    ("0", 0.0)])
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "x") == pytest.approx(seconds)
