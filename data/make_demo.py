"""Writes the demo export (demo-export.csv) and the emulator's demo state (demo-emulator.json).

Run `python data/make_demo.py` to regenerate; the output is deterministic (seeded) and committed.
The export holds one row per task, grouped into flows by flow_id, with a few rows broken on
purpose so that the demo shows how invalid input is reported.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
FLOWS = 210
USER = {"user_id": "u-demo-migrator", "name": "migrator", "org_id": "o-demo"}
SCHEDULES = [
    ("0 0 2 * * ? *", "daily"), ("0 30 6 ? * MON-FRI *", "weekly"), ("0 0 * * * ? *", "hourly"),
    ("0 0/15 * * * ? *", "minutely"), ("0 0 0 1 * ? *", "monthly"), ("0 0 0 L * ? *", "monthly"),
    ("0 15 3 ? * 2#1 *", "monthly"), ("0 0 0/6 * * ? *", "hourly"),
]
TEAMS = ["finance", "grid", "wind", "solar", "ops"]
# Each team's flows live in a directory of its own under the root (the runbook examples select by it).
DIRECTORIES = {team: hashlib.sha256(team.encode()).hexdigest()[:32] for team in TEAMS}
BROKEN = {
    7: ("schedule", "0 0 * * * *"),  # day-of-month and day-of-week both given
    23: ("alert", "loud"),  # not one of the mapped alert values
    41: ("start_date", "2024-02-30"),  # no such day
    58: ("cycle_tasks", None),  # tasks that depend on each other in a circle
    77: ("flow_id", "12a"),  # not a number
    90: ("owners", ""),  # owners are required
}


def main() -> None:
    rng = random.Random(2026)
    rows, flows, tasks = [], [], []
    next_task = 200_000
    for index in range(FLOWS):
        flow_id = 5000 + index
        team = TEAMS[index % len(TEAMS)]
        freq, frequency = SCHEDULES[index % len(SCHEDULES)]
        name = f"{team}_job_{index:03d}"
        flows.append({"flow_id": flow_id, "name": name, "owners": ["migrator", "legacy-owner"],
                      "org_id": USER["org_id"], "dir_id": DIRECTORIES[team]})
        task_ids = []
        for position in range(rng.randint(1, 3)):
            next_task += 1
            task_ids.append(str(next_task))
            tasks.append({"task_id": str(next_task), "name": f"{name}_step{position}"})
        for position, task_id in enumerate(task_ids):
            row = {
                "flow_id": str(flow_id), "flow_name": name, "team": team, "schedule": freq,
                "frequency": frequency, "owners": "migrator, legacy-owner", "visitors": f"{team}-viewers",
                "alert": rng.choice(["none", "email", "sms", "email+sms"]),
                "params": f"env=prod;team={team}", "start_date": "2026-12-01",
                "status": rng.choice(["running", "paused"]), "task_id": task_id,
                "task_name": f"{name}_step{position}", "upstream": task_ids[position - 1] if position else "",
            }
            if position:  # a flow's cells are its first row's in every row of it (the draws kept: the same tasks)
                row.update({column: rows[-1][column] for column in ("alert", "status")})
            if index in BROKEN:
                column, value = BROKEN[index]
                if column == "cycle_tasks":
                    row["upstream"] = task_ids[position - 1]  # the first task depends on the last
                    if len(task_ids) == 1:
                        row["upstream"] = task_id
                else:
                    row[column] = value
            rows.append(row)
    with (HERE / "demo-export.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    state = {
        # legacy-owner and bob: the owners the README's runbooks swap (the service refuses owners who
        # are not users of the organisation).
        "users": [USER, {"user_id": "u-demo-locked", "name": "dora", "org_id": "o-demo", "locked": True},
                  {"user_id": "u-demo-legacy", "name": "legacy-owner", "org_id": "o-demo"},
                  {"user_id": "u-demo-bob", "name": "bob", "org_id": "o-demo"}],
        "tasks": tasks,
        "flows": flows,
        "directories": [{"dir_id": dir_id, "name": team} for team, dir_id in DIRECTORIES.items()],
    }
    (HERE / "demo-emulator.json").write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
