"""Twins: two live flows carrying one job's identity marker. Two runs at once from two copies of an
export (two machines, two results folders: no lock can see both) each make every flow; so can a
flow copied by hand with its desc. Found by a fresh user: 40 jobs, 80 flows, and `plan` said
`unchanged 40` while a later change reached one twin and the other fired on. Twins cannot always
be prevented; they are never hidden: a plan makes each job whose marker two flows carry invalid
(DUPLICATE_MARKER, naming them), and a run saves into neither."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from conftest import base_state, profile_run_config

KEY, SECRET = "k-twins", "s-twins-7310"
JOBS = "".join(f"{minute} 4 * * * /opt/twin{minute}.sh\n" for minute in range(8))


def service_flows(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/_emulator/flows") as answer:
        data: Any = json.loads(answer.read())
    return [{**graph, "flow_id": int(flow_id)} for flow_id, graph in data.items()]  # id -> the graph stored


def service_names(url: str) -> Counter[str]:
    return Counter(flow["name"] for flow in service_flows(url))


def machine(folder: Path, url: str) -> Path:
    folder.mkdir()
    (folder / "jobs.cron").write_text(JOBS, encoding="utf-8")
    config = profile_run_config(folder / "run.toml", "crontab", "jobs.cron", source_lines='options = { user = "alice" }',
                                run="create_missing = true\nconcurrency = 4", rate=500, target=f'url = "{url}"')
    text = config.read_text(encoding="utf-8")
    config.write_text("\n".join(line for line in text.splitlines()
                                if not line.startswith(("emulator_config", "emulator_state"))) + "\n", encoding="utf-8")
    return config


def test_twins_made_by_two_runs_at_once_are_named_and_never_saved_into(tmp_path: Path) -> None:
    state = base_state(flows=0, applications=[{"app_key": KEY, "app_secret": SECRET}],
                       faults={"latency_ms": 1200})  # long: both runs list before either imports, however late the second starts
    (tmp_path / "emulator.json").write_text(json.dumps(state), encoding="utf-8")
    emulator = subprocess.Popen([sys.executable, "-m", "migrate.cli", "emulator", "--port", "0",
                                 "--config", str(tmp_path / "emulator.json")], stdout=subprocess.PIPE, text=True)
    env = {**os.environ, "MIGRATE_APP_KEY": KEY, "MIGRATE_APP_SECRET": SECRET}
    try:
        assert emulator.stdout is not None
        url = emulator.stdout.readline().split()[-1]
        first, second = machine(tmp_path / "a", url), machine(tmp_path / "b", url)
        runs = [subprocess.Popen([sys.executable, "-m", "migrate.cli", "run", str(config)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for config in (first, second)]
        said = [run.communicate(timeout=120) for run in runs]
        names = service_names(url)
        assert len(names) == 8 and set(names.values()) == {2}, (names, said)  # the race made a twin of each job

        planned = subprocess.run([sys.executable, "-m", "migrate.cli", "plan", str(first), "--json"], env=env,
                                 capture_output=True, text=True, timeout=120)
        plan = json.loads(planned.stdout)
        assert planned.returncode == 5 and plan["by_action"] == {"invalid": 8}, plan["by_action"]
        codes = Counter(error["code"] for action in plan["actions"] for error in action["errors"])
        assert codes == {"DUPLICATE_MARKER": 8}, codes

        again = subprocess.run([sys.executable, "-m", "migrate.cli", "run", str(first), "--json"], env=env,
                               capture_output=True, text=True, timeout=120)
        report = json.loads(again.stdout)
        assert again.returncode == 5 and report["by_status"] == {"invalid": 8}, report
        assert report["errors_by_code"] == {"DUPLICATE_MARKER": 8}, report
        assert sum(service_names(url).values()) == 16  # nothing made, nothing saved into a twin

        # Disabling all but one of each job's flows is the way out: the active one is the job's.
        stored = service_flows(url)
        later = sorted((str(flow["flow_id"]) for flow in stored
                        if flow["flow_id"] != min(f["flow_id"] for f in stored if f["name"] == flow["name"])), key=int)
        ids = tmp_path / "twins.txt"
        ids.write_text("\n".join(later) + "\n", encoding="utf-8")
        disabled = subprocess.run([sys.executable, "-m", "migrate.cli", "disable", str(first), "--ids-file", str(ids),
                                   "--apply", "--yes"], env=env, capture_output=True, text=True, timeout=120)
        assert disabled.returncode == 0, disabled.stderr
        settled = subprocess.run([sys.executable, "-m", "migrate.cli", "run", str(first), "--json"], env=env,
                                 capture_output=True, text=True, timeout=120)
        report = json.loads(settled.stdout)
        assert settled.returncode == 0 and report["by_status"] == {"saved": 8}, report
        saved = {line["flow_id"] for line in map(json.loads, Path(report["result_log"]).read_text().splitlines())
                 if line.get("status") == "saved"}
        assert saved.isdisjoint(later) and len(saved) == 8, (saved, later)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
