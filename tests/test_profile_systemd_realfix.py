"""The systemd profile on the shapes real hosts showed: openzfs's monthly scrub timer (a template
timer whose `Unit=` names another template by `%i`), mdadm's `mdcheck_start.service` (a value of
`Environment=` with a blank, passed by `${NAME}`), Debian apt's drop-in `RandomizedDelaySec=0`, and a
timer with inline comments (which systemd does not take: it ignores those lines). The units are
built here, a few lines each, in those files' shapes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, plan_profile, profile_run_config
from test_profile_systemd import codes, flows_of, messages, write_units

from migrate.cli import main

ZFS_SHAPE = {  # openzfs contrib/systemd: zfs-scrub-monthly@.timer and zfs-scrub@.service
    "zfs-scrub-monthly@.timer": """
        [Unit]
        Description=Monthly zpool scrub timer for %i

        [Timer]
        OnCalendar=monthly UTC
        Unit=zfs-scrub@%i.service
        """,
    "zfs-scrub@.service": """
        [Unit]
        Description=zpool scrub on %i

        [Service]
        ExecStart=/bin/sh -c '\\
        if /usr/sbin/zpool status %i | grep -q "scrub in progress"; then\\
        exec /usr/sbin/zpool wait -t scrub %i;\\
        else exec /usr/sbin/zpool scrub -w %i; fi'
        """,
    "mdcheck_start.timer": """
        [Timer]
        OnCalendar=Sun *-*-1..7 1:05:00 UTC
        """,
    "mdcheck_start.service": """
        [Service]
        Type=simple
        Environment="MDADM_CHECK_DURATION=6 hours"
        ExecStart=/usr/share/mdadm/mdcheck --duration ${MDADM_CHECK_DURATION}
        """,
}
ZFS_LINKS = {"timers.target.wants/zfs-scrub-monthly@tank.timer": "../zfs-scrub-monthly@.timer",
             "timers.target.wants/mdcheck_start.timer": "../mdcheck_start.timer"}


def saved_flows(tmp_path: Path, capsys: pytest.CaptureFixture[str], root: Path) -> dict[str, dict[str, Any]]:
    """`migrate run` of the export against the emulator: the flows it stored, by name."""
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "systemd", root, run="create_missing = true",
                                target='timezone = "UTC"')
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 3), report
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        return {flow["name"]: flow for flow in (json.loads(value) for (value,) in db.execute(
            "SELECT value FROM state WHERE key LIKE 'flow:%'"))}


def test_a_template_timer_starts_the_instance_its_unit_line_names(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`zfs-scrub-monthly@tank.timer` with `Unit=zfs-scrub@%i.service` starts zfs-scrub@tank.service:
    systemd resolves `%i` in `Unit=` against the timer's name, and the service's own `%i` is then
    `tank`. The zpool command once ran `zpool status %i`, silently."""
    stored = saved_flows(tmp_path, capsys, write_units(tmp_path / "units", ZFS_SHAPE, ZFS_LINKS))
    scrub = stored["zfs-scrub-monthly_tank"]
    (command,) = [task["cmd"] for task in scrub["task_details"].values()]
    assert command == ("/bin/sh -c ' if /usr/sbin/zpool status tank | grep -q \"scrub in progress\"; then exec "
                       "/usr/sbin/zpool wait -t scrub tank; else exec /usr/sbin/zpool scrub -w tank; fi'")
    # the timer's Description=, resolved (the identity marker after it)
    assert scrub["graph"]["desc"].startswith("Monthly zpool scrub timer for tank [migrate:")


def test_the_minimal_template_pair_and_what_no_unit_name_gives(tmp_path: Path) -> None:
    root = write_units(tmp_path, {
        "b@.timer": "[Timer]\nOnCalendar=daily\nUnit=b-run@%i.service\n",
        "b-run@.service": "[Unit]\nDescription=run %p for %I on %H\n[Service]\nExecStart=/bin/echo %i %j %f %H\n",
    }, links={"timers.target.wants/b@web-01.timer": "../b@.timer"})
    flow = flows_of(root)["b@web-01.timer"]
    assert flow["tasks"][0][3] == "/bin/echo web-01 run /web/01 %H"
    assert flow["desc"] == "run b-run for web/01 on %H"
    assert codes(flow["__warnings__"]).count("SPECIFIER") == 2  # %H: the host's name, not in the export
    assert "b-run@.service: line 2: Description=" in messages(flow["__warnings__"])


def test_a_variable_is_one_argument_as_systemd_substitutes_it(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """mdadm's `--duration ${MDADM_CHECK_DURATION}` with `6 hours`: systemd passes `6 hours` as one
    argument (systemd.service(5) "Command lines"), so the shell command quotes it."""
    stored = saved_flows(tmp_path, capsys, write_units(tmp_path / "units", ZFS_SHAPE, ZFS_LINKS))
    (command,) = [task["cmd"] for task in stored["mdcheck_start"]["task_details"].values()]
    assert command == '/usr/share/mdadm/mdcheck --duration "${MDADM_CHECK_DURATION}"'


def shell_arguments(command: str, parameters: str) -> list[str]:
    """The arguments a shell passes to the program of `command`, run with the flow's parameters in
    its environment (the program replaced by one that prints its arguments)."""
    _, _, rest = command.partition(" ")
    environment = {entry["key"]: entry["value"] for entry in json.loads(parameters)}
    shown = subprocess.run(["sh", "-c", f'show() {{ printf "%s\\n" "$@"; }}; show {rest}'], capture_output=True,
                           text=True, check=True, env={"PATH": "/usr/bin:/bin", **environment}, cwd="/")
    return shown.stdout.splitlines()


def test_the_shell_gets_the_arguments_systemd_passed(tmp_path: Path) -> None:
    """Each substitution as systemd.service(5) says: `${NAME}` one argument with its blanks, also
    inside a word and inside quotes; `$NAME` alone split at blanks; `$$` a dollar; `:` none; the
    word a `;` stands alone between two commands; `@`'s argv[0] is not an argument; a C escape is
    read (`\\t` a tab), one systemd does not know kept as written (`\\.`)."""
    root = write_units(tmp_path, {
        "check.timer": "[Timer]\nOnCalendar=daily UTC\n",
        "check.service": """
            [Service]
            Type=oneshot
            Environment="DURATION=6 hours" 'FLAGS=-v  -q' PRICE=5
            ExecStart=/usr/bin/check --duration ${DURATION} --for=${DURATION}h "all ${DURATION}" $FLAGS $$PRICE "a\\.b\\tc"
            ExecStart=:/usr/bin/check ${DURATION} ; @/usr/bin/sleep sleeper 5 \\; 'it''s'
            """,
    })
    check = flows_of(root)["check.timer"]
    first, literal, sleep = (task[3] for task in check["tasks"])
    assert shell_arguments(first, check["params"]) == ["--duration", "6 hours", "--for=6 hoursh", "all 6 hours",
                                                       "-v", "-q", "$PRICE", "a\\.b\tc"]
    assert shell_arguments(literal, check["params"]) == ["${DURATION}"]
    assert sleep == "/usr/bin/sleep 5 ';' its"
    assert [task[1] for task in check["tasks"]] == ["check", "check_2", "check_3"]
    assert "sleeper as its argv[0]" in messages(check["__warnings__"])


def test_an_unknown_variable_and_a_line_systemd_refuses_are_named(tmp_path: Path) -> None:
    services = {"a": "EnvironmentFile=/etc/default/a\nExecStart=/usr/bin/a ${FROM_FILE}",  # set in the file
                "b": 'ExecStart=/usr/bin/b "unclosed'}  # systemd refuses the line, and the service
    root = write_units(tmp_path, {**{f"{name}.timer": "[Timer]\nOnCalendar=daily UTC\n" for name in services},
                                  **{f"{name}.service": f"[Service]\n{text}\n" for name, text in services.items()}})
    flows = flows_of(root)
    assert flows["a.timer"]["tasks"][0][3] == '/usr/bin/a "${FROM_FILE}"'
    assert "ENVIRONMENT_REFERENCE" in codes(flows["a.timer"]["__warnings__"])
    assert codes(flows["b.timer"]["__errors__"]) == ["INVALID_COMMAND"]


APT_SHAPE = {  # Debian's apt-daily.timer, and the drop-in a host adds to move it to 01:00 exactly
    "apt-daily.timer": """
        [Timer]
        OnCalendar=*-*-* 6,18:00
        RandomizedDelaySec=12h
        AccuracySec=1h
        """,
    "apt-daily.timer.d/override.conf": """
        [Timer]
        OnCalendar=
        OnCalendar=01:00 UTC
        RandomizedDelaySec=0
        """,
    "apt-daily.service": "[Service]\nType=oneshot\nExecStart=/usr/lib/apt/apt.systemd.daily update\n",
    "quiet.timer": """
        [Timer]
        OnCalendar=daily UTC
        AccuracySec=1min
        FixedRandomDelay=true
        Persistent=false
        RemainAfterElapse=yes
        """,
    "quiet.service": "[Service]\nExecStart=/bin/true\n",
    "jitter.timer": "[Timer]\nOnCalendar=daily UTC\nRandomizedDelaySec=1h\nAccuracySec=2min\n",
    "jitter.service": "[Service]\nExecStart=/bin/true\n",
}


def test_timer_settings_at_their_default_are_no_difference(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`RandomizedDelaySec=0` is no delay: nothing to warn; so is an accuracy of the default minute
    or less, a fixed random delay without a delay, and a boolean at its default."""
    root = write_units(tmp_path / "units", APT_SHAPE)
    code, planned, _ = plan_profile(tmp_path, capsys, "systemd", root, target='timezone = "UTC"')
    assert code == 3
    warned = {action["source_key"]: [w["code"] for w in action["warnings"]] for action in planned["actions"]}
    assert "RANDOMIZED_DELAY" not in warned["apt-daily.timer"] and "ACCURACY" in warned["apt-daily.timer"]
    assert not {"RANDOMIZED_DELAY", "ACCURACY", "PERSISTENT", "TIMER_SETTING"} & set(warned["quiet.timer"])
    assert {"RANDOMIZED_DELAY", "ACCURACY"} <= set(warned["jitter.timer"])


CHEATS_SHAPE = {  # a timer written with comments after the values, which systemd does not take
    "my.timer": """
        # /etc/systemd/system/my.timer
        [Unit]
        Description=Run my service daily

        [Timer]
        OnCalendar=daily UTC
        OnCalendar=*-*-* 03:00:00 UTC            # every day at 3 AM
        Persistent=true                       # run if missed
        RandomizedDelaySec=30min              # random delay
        """,
    "my.service": "[Service]\nType=oneshot\nExecStart=/usr/local/bin/backup.sh\n",
    "nightly.timer": "[Timer]\nOnCalendar=*-*-* 02:00:00 # nightly\n",
    "nightly.service": "[Service]\nExecStart=/usr/local/bin/nightly\n",
}


def test_a_calendar_line_with_an_inline_comment_is_ignored_as_systemd_ignores_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """systemd ignores an `OnCalendar=` it cannot parse (it logs an error) and fires on the
    timer's other lines: so does the flow, naming the line. A timer with no other trigger never
    ran (systemd refuses it): refused, saying so. The other settings with comments were ignored
    too: no random delay, not persistent."""
    root = write_units(tmp_path / "units", CHEATS_SHAPE)
    code, planned, _ = plan_profile(tmp_path, capsys, "systemd", root, target='timezone = "UTC"')
    assert code == 5
    mine = next(action for action in planned["actions"] if action["source_key"] == "my.timer")
    assert mine["freq"] == "0 0 0 * * ? *"
    ignored = [w["message"] for w in mine["warnings"] if w["code"] == "CALENDAR_IGNORED"]
    assert len(ignored) == 1 and "my.timer: line 7: OnCalendar=*-*-* 03:00:00 UTC" in ignored[0]
    assert "systemd ignores this line" in ignored[0]
    codes_of_mine = [w["code"] for w in mine["warnings"]]
    assert codes_of_mine.count("MALFORMED_LINE") == 2 and "RANDOMIZED_DELAY" not in codes_of_mine
    assert "PERSISTENT" not in codes_of_mine
    (nightly,) = planned["invalid_flows"]
    error = nightly["errors"][0]
    assert nightly["source_key"] == "nightly.timer" and error["code"] == "INVALID_SYNTAX"
    assert "nightly.timer: line 2: OnCalendar=*-*-* 02:00:00 # nightly" in error["message"]
    assert "systemd ignores such a line" in error["message"] and "never ran" in error["message"]
