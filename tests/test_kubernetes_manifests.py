"""deploy/kubernetes/: every manifest valid for the pinned Kubernetes version (kubernetes-validate,
strict: no unknown field), and what the schema cannot tell: the ConfigMap's config loads, the
Secret holds placeholders only, the exit codes of the contract each have one rule in the Jobs'
pod failure policies, and the pods' start script resumes a retried pod's run."""

from __future__ import annotations

import os
import stat
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

from migrate.config import load_settings
from migrate.exit_codes import (
    EXIT_ABORTED,
    EXIT_CANNOT_RUN,
    EXIT_INTERRUPTED,
    EXIT_INVALID_ROWS,
    EXIT_SOME_FAILED,
)

kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is a dev extra")

KUBERNETES = "1.33.0"  # backoffLimitPerIndex (FailIndex) is GA from 1.33
MANIFESTS = REPO / "deploy" / "kubernetes"
# What a run's exit code means to the Job that ran it (deploy/kubernetes/*.yaml, docs/operations.md).
FINISHED_BUT_LOOK = {EXIT_SOME_FAILED, EXIT_ABORTED, EXIT_INVALID_ROWS}  # no retry: a person reads the log
RETRIED = {EXIT_CANNOT_RUN, EXIT_INTERRUPTED}  # nothing sent, or stopped: a retried pod resumes


def _documents() -> list[tuple[str, dict[str, Any]]]:
    found = [(path.name, document) for path in sorted(MANIFESTS.glob("*.yaml"))
             for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document]
    assert found, f"no manifests in {MANIFESTS}"
    return found


def _one(kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [d for _, d in _documents() if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(matches) == 1, (kind, name, len(matches))
    return matches[0]


@pytest.mark.parametrize(("file", "document"), _documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_manifest_is_valid(file: str, document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES, strict=True)


def _pod(kind: str) -> dict[str, Any]:
    job = _one(kind)
    spec: dict[str, Any] = job["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else job["spec"]
    return spec


def _rules(job_spec: dict[str, Any]) -> dict[str, set[int]]:
    rules: dict[str, set[int]] = {}
    for rule in job_spec["podFailurePolicy"]["rules"]:
        if "onExitCodes" in rule:
            assert rule["onExitCodes"]["containerName"] == "migrate" and rule["onExitCodes"]["operator"] == "In"
            rules.setdefault(rule["action"], set()).update(rule["onExitCodes"]["values"])
    return rules


def test_the_nightly_cronjob() -> None:
    cronjob = _one("CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    job = _pod("CronJob")
    assert job["template"]["spec"]["restartPolicy"] == "Never"  # a pod failure policy needs it
    assert _rules(job) == {"FailJob": FINISHED_BUT_LOOK, "Count": RETRIED}
    assert job["backoffLimit"] >= 1


def test_the_indexed_job_shards_one_migration() -> None:
    job = _pod("Job")
    assert job["completionMode"] == "Indexed"
    container = job["template"]["spec"]["containers"][0]
    shards = int(next(e["value"] for e in container["env"] if e["name"] == "SHARDS"))
    assert job["completions"] == job["parallelism"] == shards
    assert '--shard "auto/${SHARDS}"' in container["args"][0]
    assert job["backoffLimitPerIndex"] >= 1  # FailIndex is only for a Job with a limit per index
    assert _rules(job) == {"FailJob": {EXIT_ABORTED}, "FailIndex": {EXIT_SOME_FAILED, EXIT_INVALID_ROWS},
                           "Count": RETRIED}
    assert job["template"]["spec"]["restartPolicy"] == "Never"


@pytest.mark.parametrize("kind", ["CronJob", "Job"])
def test_the_pods_mount_what_they_name(kind: str) -> None:
    """Config from the ConfigMap under the image's WORKDIR, credentials as a file from the Secret,
    result logs on a volume that outlives the pod, as the user the image runs as."""
    pod = _pod(kind)["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for c in pod["initContainers"] + pod["containers"] for m in c["volumeMounts"]}
    assert set(mounts.values()) <= set(volumes)
    assert volumes[mounts["/work/configs"]]["configMap"]["name"] == _one("ConfigMap")["metadata"]["name"]
    assert volumes[mounts["/secret"]]["secret"]["secretName"] == _one("Secret")["metadata"]["name"]
    assert "persistentVolumeClaim" in volumes[mounts["/work/results"]]
    assert "WORKDIR /work\n" in (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert pod["securityContext"]["runAsUser"] == 10001 and "USER 10001:10001" in (REPO / "Dockerfile").read_text()


def test_the_configmap_holds_a_config_that_loads(tmp_path: Path) -> None:
    config = tmp_path / "configs" / "migrate.toml"
    config.parent.mkdir()
    config.write_text(_one("ConfigMap")["data"]["migrate.toml"], encoding="utf-8")
    settings = load_settings(config)
    assert settings.target.credentials_file == Path("/credentials/credentials.toml")
    assert "{run_id}" in str(settings.run.result_log)  # each run and each shard its own log
    assert str(settings.run.result_log).startswith("/work/results/")


def test_the_secret_holds_placeholders_only() -> None:
    secret = _one("Secret")
    assert "data" not in secret  # nothing encoded that a reviewer cannot read
    credentials = tomllib.loads(secret["stringData"]["credentials.toml"])
    assert set(credentials) == {"app_key", "app_secret"}
    assert all(value.startswith("REPLACE-WITH-") for value in credentials.values())


@pytest.mark.parametrize("kind", ["CronJob", "Job"])
def test_a_retried_pod_resumes_its_run(kind: str, tmp_path: Path) -> None:
    """The pod's start script, run by sh with `migrate` standing in: the first pod starts the run;
    a retried one, finding its run's log, resumes it."""
    container = _pod(kind)["template"]["spec"]["containers"][0]
    script = container["args"][0].replace("/work/results", str(tmp_path))
    fake = tmp_path / "bin" / "migrate"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "$@"\n', encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "JOB_NAME": "migrate-x-1",
           "JOB_COMPLETION_INDEX": "2", "SHARDS": "4"}

    def started() -> str:
        return subprocess.run([*container["command"], script], capture_output=True, text=True, env=env,
                              check=True).stdout.strip()

    shard = " --shard auto/4" if kind == "Job" else ""
    assert started() == f"run configs/migrate.toml{shard} --run-id migrate-x-1"
    log = tmp_path / ("migrate-x-1-shard-2-of-4.jsonl" if kind == "Job" else "migrate-x-1.jsonl")
    log.write_text('{"status": "saved"}\n', encoding="utf-8")
    assert started() == f"run configs/migrate.toml{shard} --run-id migrate-x-1 --resume"
