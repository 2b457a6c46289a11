"""The crontab profile on crontabs in their real shapes (fixtures in tests/fixtures/crontab/):
Debian's stock /etc/crontab with a tab between the user and the command, an /etc/cron.d file
with `@` macros and a user column, a hand-edited user crontab; CRON_TZ, TZ and MAILTO read as
the cron that runs them does; files that are not crontabs refused by name."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, plan_profile, profile_run_config, standard_cells

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.sources.profiles import registry
from migrate.sources.profiles.crontab import split_percent
from migrate.sources.readers import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "crontab"
DEBIAN = FIXTURES / "debian-etc-crontab"
CRON_D = FIXTURES / "cron-d-reports"  # as /etc/cron.d names a file Debian reads: no dot
USER_ETL = FIXTURES / "user-etl.cron"


def rows_of(path: Path, **options: Any) -> list[dict[str, str]]:
    return [standard_cells(row) for row in registry()["crontab"].read(SourceSettings(path=path, profile="crontab",
                                                                          options=options))]


def described(line: str) -> str:
    """A job line as its flow's desc holds it: its standard input (after an unescaped %) left out."""
    before, stdin = split_percent(line)
    return line if stdin is None else f"{before}% (its input, not shown)"


def by_line(path: Path, **options: Any) -> dict[str, dict[str, str]]:
    """Rows by the line they came from ("line 4"): a job's key is its user and command, and its desc
    holds its line (without the line's number), so a test finds it by the line's text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, dict[str, str]] = {}
    for row in rows_of(path, **options):
        if row["flow"].startswith("line "):  # an invalid line keeps its number: it has no job to key
            found[row["flow"]] = row
            continue
        number = next(n for n, text in enumerate(lines, 1)
                      if f"line {n}" not in found and f"crontab: {described(text.strip())}"[:500] == row["desc"])
        found[f"line {number}"] = row
    return found


def codes(cells: str) -> list[str]:
    return [entry["code"] for entry in json.loads(cells)] if cells else []


def plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: Path, options: str) -> tuple[int, dict[str, Any], str]:
    return plan_profile(tmp_path, capsys, "crontab", source, source_lines=f"options = {options}")


# -- fields separated by any run of blanks ---------------------------------------------------

def test_debian_system_crontab_keeps_every_command_whole() -> None:
    rows = rows_of(DEBIAN, system=True)
    assert [(r["schedule"], r["owners"], r["command"]) for r in rows] == [
        ("17 * * * *", "root", "cd / && run-parts --report /etc/cron.hourly"),
        ("25 6 * * *", "root", "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )"),
        ("47 6 * * 7", "root", "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.weekly )"),
        ("52 6 1 * *", "root", "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.monthly )"),
    ]
    assert all(r["__errors__"] == "" for r in rows)
    # Identity: the user and the command, never the line; the name is the program and a digest of that key.
    assert [r["flow"] for r in rows] == [f"root:{r['command']}" for r in rows]
    assert rows[1]["flow_name"].startswith("test_") and rows[1]["flow_name"] != rows[2]["flow_name"]


def test_a_system_crontab_read_as_a_user_crontab_is_refused_or_flagged(tmp_path: Path) -> None:
    """system = true forgotten: every flow's command began with `root`, a command that cannot run,
    each with only a warning. Every job line so: the file is refused, saying what to set; with
    system = false said, the jobs are read as written, each flagged."""
    with pytest.raises(SourceError) as refused:
        rows_of(DEBIAN)
    assert "4 of the first 4 job lines begin with a system account (root)" in str(refused.value)
    assert "set [source] options = { system = true }" in str(refused.value)
    # An /etc/crontab with one other user's line too (alice: no system account) is one all the same
    mixed = tmp_path / "crontab"
    mixed.write_text(DEBIAN.read_text(encoding="utf-8") + "0 7 * * * alice /home/alice/backup.sh\n", encoding="utf-8")
    with pytest.raises(SourceError, match="4 of the first 5 job lines begin with a system account"):
        rows_of(mixed)
    # one line of a user crontab that begins with an account's name is said, not refused
    user = tmp_path / "user.cron"
    user.write_text("0 1 * * * /opt/a.sh\n0 2 * * * backup /data\n0 3 * * * /opt/c.sh\n", encoding="utf-8")
    assert [codes(row["__warnings__"]) for row in rows_of(user)] == [["HOST_TIMEZONE"], ["USER_COLUMN", "HOST_TIMEZONE"],
                                                                    ["HOST_TIMEZONE"]]
    rows = rows_of(DEBIAN, system=False)
    # (and SHELL=/bin/sh, PATH=… above the jobs: how cron ran them, carried as parameters only)
    assert rows and all(codes(r["__warnings__"]) == ["USER_COLUMN", "HOST_TIMEZONE", "CRON_ENVIRONMENT"] for r in rows)


def test_a_cron_d_file_of_service_accounts_read_as_a_user_crontab_is_flagged(tmp_path: Path) -> None:
    """A cron.d file whose jobs run as service accounts, not root (Debian's awstats and mailman
    files): read as a user crontab, every command kept its user column with no word (only `root`
    was looked for). A job that starts with a command named like an account is not flagged."""
    export = tmp_path / "webstats"
    export.write_text(
        "MAILTO=root\n"
        "*/10 * * * * www-data [ -x /usr/share/webstats/update.sh ] && /usr/share/webstats/update.sh\n"
        "0 8 * * * list [ -x /usr/lib/lists/cron/checkdbs ] && /usr/lib/lists/cron/checkdbs\n"
        "30 3 * * * postgres /usr/bin/vacuumdb --all --analyze\n"
        "0 4 * * * nginx -s reload\n"
        "5 4 * * * git -C /srv/site pull\n"
        "10 4 * * * /usr/local/bin/backup --all\n", encoding="utf-8")
    flagged = {row["command"].split()[0]: "USER_COLUMN" in codes(row["__warnings__"]) for row in rows_of(export)}
    assert flagged == {"www-data": True, "list": True, "postgres": True, "nginx": False, "git": False,
                       "/usr/local/bin/backup": False}
    rows = rows_of(export, system=True)[:3]  # as the warning says: the user column read, the commands whole
    assert [(row["owners"], row["command"].split()[0]) for row in rows] == [
        ("www-data", "["), ("list", "["), ("postgres", "/usr/bin/vacuumdb")]


def test_cronies_quiet_prefix_and_random_ranges_are_read_as_cronie_reads_them(tmp_path: Path) -> None:
    """cronie reads two marks Vixie cron does not: `-` before a line (its runs not logged to syslog)
    and `~` ranges (a time drawn at random when the daemon starts). Both lines were refused as
    "not a job line" and named `line2`, `line3`, not after their jobs."""
    export = tmp_path / "cronie"
    export.write_text("-*/5 * * * * /usr/local/bin/poll.sh\n0~30 2 * * * /usr/local/bin/backup.sh\n"
                      "15 3 * * 1~5 /usr/local/bin/weekly.sh\n", encoding="utf-8")
    poll, backup, weekly = rows_of(export)
    assert (poll["flow"], poll["schedule"], poll["__errors__"]) == (":/usr/local/bin/poll.sh", "*/5 * * * *", "")
    assert codes(poll["__warnings__"]) == ["NO_SYSLOG", "HOST_TIMEZONE"]
    for row, field in ((backup, "0~30"), (weekly, "1~5")):
        assert row["flow"].endswith(row["command"]) and row["flow_name"].startswith(row["command"].rsplit("/")[-1])
        [error] = json.loads(row["__errors__"])
        assert error["code"] == "RANDOM_TIME" and f"{field} is a time cronie draws at random" in error["message"]
        assert row["active"] == "1"  # its one fault: no second error ("active is required") beside it


def test_a_job_whose_short_name_meets_an_earlier_jobs_is_named_by_more_of_its_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Six hex digits of the key name a job; two of 20,000 generated jobs met there (found by an
    engineer planning an estate), and the second, another job, was refused as a DUPLICATE. The
    later takes twelve digits; the earlier, and every other job, keeps its name."""
    first, second = "50 21 * * * /opt/jobs/cleanup --job 12593\n", "37 2 * * * /opt/jobs/cleanup --job 16124\n"
    export = tmp_path / "collide.cron"
    export.write_text(first + second + "0 3 * * * /opt/jobs/report\n", encoding="utf-8")
    rows = rows_of(export, user="migrator")
    assert all(row["__errors__"] == "" for row in rows)
    assert [len(row["flow_name"]) for row in rows] == [len("cleanup_") + 6, len("cleanup_") + 12, len("report_") + 6]
    assert rows[0]["flow_name"] == rows[1]["flow_name"][:len("cleanup_") + 6]  # the same key, more of it
    export.write_text(second + first, encoding="utf-8")  # the other order: the other one is the later
    swapped = rows_of(export, user="migrator")
    assert swapped[0]["flow_name"] == rows[0]["flow_name"]  # the short name both keys meet at
    assert len(swapped[1]["flow_name"]) == len("cleanup_") + 12
    assert swapped[1]["flow_name"] not in (rows[0]["flow_name"], rows[1]["flow_name"])  # job 12593's twelve digits
    code, plan, err = plan_profile(tmp_path, capsys, "crontab", export, source_lines='options = { user = "migrator" }')
    assert code in (3, 5) and "DUPLICATE" not in json.dumps(plan), err


def test_a_file_of_another_encoding_names_its_line_and_byte(tmp_path: Path) -> None:
    """A crontab of 3,000 ASCII lines and one Latin-1 `café.sh`: the error named line 1 (the first
    of pandas' chunk); it names the line and byte, and a UTF-16 file says which encoding to set."""
    export = tmp_path / "latin1.cron"
    export.write_bytes(b"MAILTO=root\n" + b"".join(b"0 1 * * * /opt/job%d.sh\n" % i for i in range(3000))
                       + "0 2 * * * /opt/café.sh\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"latin1.cron: line 3002: not utf-8-sig text \(byte 19 of the line: 0xE9\)"):
        rows_of(export)
    wide = tmp_path / "wide.cron"
    wide.write_text("0 2 * * * /opt/backup.sh\n", encoding="utf-16")
    with pytest.raises(SourceError, match=r'UTF-16.s byte-order mark .*set \[source\] encoding = "utf-16"'):
        rows_of(wide)


def test_the_user_a_system_job_ran_as_is_named() -> None:
    rows = by_line(CRON_D, system=True)
    for line, user in (("line 4", "root"), ("line 5", "reports")):
        warnings = json.loads(rows[line]["__warnings__"])
        assert [w["message"] for w in warnings if w["code"] == "RUN_AS"] == [
            f"{line}: the job ran as user {user!r} (the user column); the flow runs as the service's doAs account "
            "instead"]
        assert rows[line]["owners"] == user  # owners kept as before
    assert all("RUN_AS" not in codes(r["__warnings__"]) for r in rows_of(USER_ETL, user="etl"))


@pytest.mark.parametrize("line", [
    "0 2 * * * /opt/etl/run.sh > /var/log/x.log", "0 2 * * * > /var/log/x.log", "0 2 * * * -x /bin/y",
    "0 2 * * * $HOME/bin/run", "0 2 * * * 'quoted' run", "0 2 * * * (cd /tmp && ls)", "0 2 * * * |tee x",
    "0 2 * * * <input run", '0 2 * * * "x" run', "@daily ./run.sh --all",
])
def test_a_user_crontab_read_as_a_system_one_fails_the_line_never_mangles_it(tmp_path: Path, line: str) -> None:
    path = tmp_path / "jobs.cron"
    path.write_text(f"0 1 * * * postgres /usr/bin/vacuumdb --all\n{line}\n", encoding="utf-8")
    good, bad = rows_of(path, system=True)
    assert good["owners"] == "postgres" and good["__errors__"] == ""
    value = line.split()[1 if line.startswith("@") else 5]
    assert codes(bad["__errors__"]) == ["INVALID_SYNTAX"] and bad["command"] == "" and bad["owners"] == ""
    message = json.loads(bad["__errors__"])[0]["message"]
    assert message.startswith("line 2: ") and repr(value) in message and "system = false" in message


@pytest.mark.parametrize("user", ["root", "postgres", "svc_app.01", "www-data", "_apt", "MACHINE$", "u1"])
def test_user_names_of_every_usual_shape_are_accepted(tmp_path: Path, user: str) -> None:
    path = tmp_path / "jobs.cron"
    path.write_text(f"0 1 * * * {user} /usr/bin/true\n", encoding="utf-8")
    (row,) = rows_of(path, system=True)
    assert row["__errors__"] == "" and row["owners"] == user and row["command"] == "/usr/bin/true"


def test_cron_d_macros_with_a_user_column_and_an_empty_command() -> None:
    rows = by_line(CRON_D, system=True)
    assert (rows["line 4"]["schedule"], rows["line 4"]["owners"], rows["line 4"]["command"]) == (
        "*/10 * * * *", "root", "/usr/lib/reports/collect")
    assert (rows["line 5"]["schedule"], rows["line 5"]["owners"], rows["line 5"]["command"]) == (
        "@daily", "reports", "/usr/lib/reports/rotate --keep 7")
    # @reboot stays the schedule: the dialect refuses it as NO_TIME_SCHEDULE (a boot trigger).
    assert rows["line 6"]["schedule"] == "@reboot" and rows["line 6"]["command"] == "/usr/lib/reports/warmup"
    # A user and no command: an error naming the line, never a task that runs nothing.
    assert codes(rows["line 7"]["__errors__"]) == ["INVALID_SYNTAX"]
    assert "line 7" in rows["line 7"]["__errors__"] and rows["line 7"]["command"] == ""
    assert rows["line 8"]["command"] == "/usr/lib/reports/archive"
    assert codes(rows["line 8"]["__warnings__"]) == ["RUN_AS", "PERCENT_STDIN"]


def test_a_command_that_is_only_standard_input_is_an_error() -> None:
    rows = by_line(USER_ETL)
    assert codes(rows["line 10"]["__errors__"]) == ["INVALID_SYNTAX"]
    assert "line 10" in rows["line 10"]["__errors__"]


def test_a_user_crontab_with_tabs() -> None:
    rows = by_line(USER_ETL, user="etl")
    assert [(rows[k]["schedule"], rows[k]["command"]) for k in ("line 5", "line 6", "line 8", "line 9")] == [
        ("0 2 * * *", "/home/etl/bin/nightly.sh"),
        ("30 4 * * 1-5", "/home/etl/bin/weekday.sh --quiet"),
        ("15 */2 * * *", "/home/etl/bin/poll"),
        ("@hourly", "/home/etl/bin/heartbeat"),
    ]
    assert {rows[k]["owners"] for k in ("line 5", "line 6", "line 8", "line 9")} == {"etl"}


# -- CRON_TZ, TZ, MAILTO ---------------------------------------------------------------------

def test_cron_tz_sets_the_zone_instead_of_warning() -> None:
    rows = by_line(CRON_D, system=True)
    assert rows["line 4"]["timezone"] == "Europe/Berlin"
    assert "TIMEZONE" not in codes(rows["line 4"]["__warnings__"])
    assert {"key": "CRON_TZ", "value": "Europe/Berlin"} in json.loads(rows["line 4"]["params"])


def test_tz_is_the_commands_environment_not_the_schedules_zone() -> None:
    rows = by_line(USER_ETL)
    nightly = rows["line 5"]
    assert nightly["timezone"] == "America/New_York"  # CRON_TZ, not TZ
    assert codes(nightly["__warnings__"]) == ["TZ_ENVIRONMENT", "ALERT_RECIPIENTS"]  # MAILTO=ops@example.com
    assert "Europe/London" in nightly["__warnings__"] and "ops@example.com" in nightly["__warnings__"]
    assert {"key": "TZ", "value": "Europe/London"} in json.loads(nightly["params"])  # quotes removed, kept


def test_cron_tz_is_ignored_for_a_cron_that_does_not_read_it() -> None:
    rows = by_line(CRON_D, system=True, cron_tz=False)
    assert rows["line 4"]["timezone"] == ""
    assert codes(rows["line 4"]["__warnings__"]) == ["RUN_AS", "CRON_TZ_IGNORED"]


def test_mailto_empty_means_no_mail() -> None:
    rows = by_line(USER_ETL)
    assert rows["line 5"]["alert"] == "1"  # MAILTO=ops@example.com
    assert rows["line 8"]["alert"] == ""  # after MAILTO="": cron sends no mail
    assert {"key": "MAILTO", "value": ""} in json.loads(rows["line 8"]["params"])
    assert all(r["alert"] == "" for r in rows_of(CRON_D, system=True))  # MAILTO="" from the start


def test_params_are_the_documented_json() -> None:
    params = json.loads(rows_of(DEBIAN, system=True)[0]["params"])
    assert params == [{"key": "SHELL", "value": "/bin/sh"},
                      {"key": "PATH", "value": "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin"}]


# -- files that are not crontabs -------------------------------------------------------------

@pytest.mark.parametrize("name", ["not-a-crontab.yaml", "not-a-crontab.json", "not-a-crontab.xml"])
def test_a_file_that_is_not_a_crontab_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 name: str) -> None:
    path = FIXTURES / name
    code, _, err = plan(tmp_path, capsys, path, "{}")
    assert code == 1 and "Traceback" not in err
    other = {"not-a-crontab.yaml": "a rundeck", "not-a-crontab.json": "an airflow", "not-a-crontab.xml": "an oozie"}[name]
    assert f"{path}: this looks like {other} export, not crontab" in err  # sources/detect.py names what it is


def test_a_crontab_with_only_comments_and_environment_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.cron"
    path.write_text("# nothing scheduled\nMAILTO=root\n", encoding="utf-8")
    with pytest.raises(SourceError, match="this does not look like a crontab export"):
        rows_of(path)


def test_one_line_of_junk_among_jobs_is_that_lines_error(tmp_path: Path) -> None:
    path = tmp_path / "mixed.cron"
    path.write_text("0 2 * * * /bin/backup\nthis line is not a job\n30 3 * * 6 /bin/weekly\n", encoding="utf-8")
    rows = rows_of(path)
    assert [codes(r["__errors__"]) for r in rows] == [[], ["INVALID_SYNTAX"], []]
    assert "line 2" in rows[1]["__errors__"]


@pytest.mark.parametrize("header", ["Crontab for bob:", "crontab of user bob", "# Listing crontab for bob"])
def test_a_crontab_for_header_between_jobs_is_a_joined_file(tmp_path: Path, header: str) -> None:
    """`Crontab for bob:` between two users' crontabs: only its line was refused, and bob's job took
    root's CRON_TZ (`# Crontab for bob` and `User: bob` refused the file whole) (found by reviewers)."""
    path = tmp_path / "cat.cron"
    path.write_text(f"CRON_TZ=Asia/Tokyo\n0 3 * * * /opt/root-job.sh\n{header}\n0 4 * * * /opt/bob.sh\n",
                    encoding="utf-8")
    with pytest.raises(SourceError, match="several crontabs joined"):
        rows_of(path)


def test_a_heading_of_words_after_content_says_it_may_begin_another_users_crontab(tmp_path: Path) -> None:
    """A line that is a heading of words (`Jobs of bob:`) after an environment line: its message says
    that if it begins another user's crontab, the environment lines above it applied to the jobs below;
    a line of other words (`echo hello world`) or a job line of a bad field says nothing of it."""
    path = tmp_path / "cat.cron"
    path.write_text("PATH=/usr/bin\nJobs of bob:\n0 4 * * * /opt/bob.sh\necho hello world\n"
                    "*/61 * * * * /opt/bad-minute.sh\n", encoding="utf-8")
    rows = rows_of(path)
    assert "begins another user's crontab" in rows[0]["__errors__"] and "CRON_TZ" in rows[0]["__errors__"]
    assert "another user's crontab" not in rows[2]["__errors__"] + rows[3]["__errors__"], rows


def test_a_system_crontab_named_as_debians_cron_skips_it_in_cron_d_is_said(tmp_path: Path) -> None:
    """/etc/cron.d/backup.cron: Debian's cron skips a name with a dot (run-parts' rule), cronie reads it."""
    for name, said in (("backup.cron", True), ("backup_nightly-2", False)):
        path = tmp_path / name
        path.write_text("0 4 * * * root /opt/backup.sh\n", encoding="utf-8")
        [row] = rows_of(path, system=True)
        assert ("CRON_D_NAME" in codes(row["__warnings__"])) is said, (name, row["__warnings__"])
    [user_row] = rows_of(tmp_path / "backup.cron", system=False)  # a user crontab's file may be named anyhow
    assert "CRON_D_NAME" not in codes(user_row["__warnings__"])


def test_an_unknown_option_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(tmp_path, capsys, DEBIAN, "{ sytem = true }")
    assert code == 1 and "sytem" in err and "system" in err


# -- through the CLI -------------------------------------------------------------------------

def test_plan_of_the_debian_crontab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, DEBIAN, "{ system = true }")
    assert code == 3 and inventory["flows_found"] == inventory["convertible"] == 4
    assert inventory["invalid_by_reason"] == {}


def test_plan_of_the_cron_d_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("migrate.schedule.timezone", reason="the time-zone shift (issue 12 item 4) has not landed")
    code, inventory, _ = plan(tmp_path, capsys, CRON_D, "{ system = true }")
    assert code == 5 and inventory["flows_found"] == 5
    # Europe/Berlin with no [target] timezone cannot be placed: refused, never shifted silently.
    assert inventory["invalid_by_reason"]["INVALID_SYNTAX"] == 1
    assert inventory["invalid_by_reason"]["NO_TIME_SCHEDULE"] == 1
    assert "TIMEZONE" not in inventory["warnings_by_code"]


def test_run_saves_the_whole_command_of_a_tab_separated_system_crontab(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "crontab", DEBIAN, source_lines="options = { system = true }",
                                run="create_missing = true")
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["by_status"] == {"created": 4}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = [json.loads(value) for (value,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    commands = {flow["name"].split("_")[0]: [task["cmd"] for task in flow["task_details"].values()]
                for flow in stored}
    by_desc = {flow["graph"]["desc"].split(" [migrate:")[0]: [task["cmd"] for task in flow["task_details"].values()]
               for flow in stored}
    assert by_desc["crontab: 25 6\t* * *\troot\ttest -x /usr/sbin/anacron || ( cd / && run-parts --report "
                   "/etc/cron.daily )"] == [
        "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )"]
    assert commands["cd"] == ["cd / && run-parts --report /etc/cron.hourly"]


def test_environment_lines_that_look_like_secrets_are_carried_with_a_warning(tmp_path: Path) -> None:
    """A password in the crontab's environment becomes a flow parameter, readable by every owner
    and visitor: carried (the job needs it), never silently."""
    crontab = tmp_path / "secrets.cron"
    crontab.write_text("DB_PASSWORD=hunter2\nAPI_Token = 'x'\nPATH=/usr/bin\n0 1 * * * /opt/load.sh\n", encoding="utf-8")
    row = by_line(crontab)["line 4"]
    warned = json.loads(row["__warnings__"])
    assert [w["code"] for w in warned] == ["HOST_TIMEZONE", "CRON_ENVIRONMENT", "ENVIRONMENT_SECRET"]  # PATH, the two
    assert "DB_PASSWORD, API_Token" in warned[2]["message"] and "hunter2" not in warned[2]["message"]
    assert "PATH=/usr/bin" in warned[1]["message"]
    assert {"key": "DB_PASSWORD", "value": "hunter2"} in json.loads(row["params"])


def test_a_plan_names_each_job_by_its_line_in_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Comments, blank and environment lines before and between jobs: a plan's "row" is the line the
    # user opens, for an invalid job and a valid one alike.
    source = tmp_path / "jobs.cron"
    source.write_text("# m h dom mon dow command\nSHELL=/bin/bash\n\n0 2 * * * /opt/a.sh\n# moved here\n"
                      "61 2 * * * /opt/b.sh\n*/5 * * * * /opt/c.sh\n", encoding="utf-8")
    code, planned, _ = plan(tmp_path, capsys, source, "{ user = \"etl\" }")
    assert code == 5
    assert [(flow["rows"], flow["errors"][0]["code"]) for flow in planned["invalid_flows"]] == [([6], "INVALID_SYNTAX")]
    assert sorted(action["rows"][0] for action in planned["actions"]) == [4, 6, 7]


def test_a_line_in_a_folder_of_several_formats_is_its_line_past_the_entrys_first_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    lines = ["# nightly", "", "0 2 * * * /opt/a.sh", "MAILTO=\"\"", "30 3 * * 1-5 /opt/b.sh"]
    (folder / "jobs.cron").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "cronjob.yaml").write_text(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a, namespace: ns}\nspec:\n  schedule: '0 1 * * *'\n"
        "  jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: i, command: [run]}]}}}}\n",
        encoding="utf-8")
    code, planned, err = plan_profile(tmp_path, capsys, "auto", folder,
                                      source_lines='options = { "crontab.user" = "etl" }', target='timezone = "UTC"')
    assert code in (0, 3), err
    span = next(span for span in planned["sources"] if span["profile"] == "crontab")
    found = sorted(a["rows"][0] - span["rows"][0] + 1 for a in planned["actions"]
                   if a["rows"] and span["rows"][0] <= a["rows"][0] <= span["rows"][1])
    assert found == [3, 5], (found, span)


def test_the_plan_table_names_the_field_a_row_lacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `is required` alone named nothing (a fresh user found the field only in the summary).
    from conftest import run_cli

    (tmp_path / "jobs.cron").write_text("0 2 * * * /opt/a.sh\n", encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(f'[source]\npath = "{tmp_path / "jobs.cron"}"\nprofile = "crontab"\noptions = {{ user = "etl" }}\n'
                      '[defaults]\ntype = 1\nalertMode = 0\nvisitors = ""\nowners = "alice"\nstartTime = "2026-12-01"\n'
                      '[target]\nurl = "https://apim.example.invalid"\nuser_id = "u1"\norg_id = "o1"\n', encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 5 and "doAs: is required" in out, out + err


@pytest.mark.parametrize(("written", "command", "stdin"), [
    # cron's own loop (vixie cron, cronie, Debian's: do_command.c): a backslash escapes the
    # character after it, so backslashes go in pairs.
    ("date +\\%Y", "date +%Y", None),  # an escaped %: a %
    ("echo a\\\\%b", "echo a\\\\", "b"),  # \\ escape each other (both kept): the % ends the command
    ('echo "50\\\\\\\\%"', 'echo "50\\\\\\\\', '"'),  # two pairs, then the end of the command
    ("echo a\\\\\\%b", "echo a\\\\%b", None),  # a pair, then an escaped %
    ("grep \\d x", "grep \\d x", None),  # no % in the line: as written
    ("cat\\q%x", "cat\\q", "x"),  # any other escaped character keeps its backslash
    ("mail -s hi root%line 1%line 2\\%%", "mail -s hi root", "line 1\nline 2%\n"),
    ("cat%a\\\\%b\\qc\\", "cat", "a\\%b\\qc\\"),  # standard input as cron writes it to the job
])
def test_percent_signs_as_cron_reads_them(written: str, command: str, stdin: str | None) -> None:
    """`\\\\%` was read as an escaped `%`: the command saved as `echo a\\%b`, where cron ran
    `echo a\\\\` with `b` as its input, and no PERCENT_STDIN said so."""
    assert split_percent(written) == (command, stdin)


def test_a_percent_after_a_pair_of_backslashes_ends_the_command_and_is_said(tmp_path: Path) -> None:
    path = tmp_path / "user.cron"
    path.write_text("0 1 * * * echo a\\\\%b\n", encoding="utf-8")
    (row,) = rows_of(path)
    assert row["command"] == "echo a\\\\" and codes(row["__warnings__"]) == ["PERCENT_STDIN", "HOST_TIMEZONE"]
    # the input is never quoted: cron idioms feed a password so (`sudo -S cmd %secret%`)
    secret = tmp_path / "stdin.cron"
    secret.write_text("0 1 * * * sudo -S /opt/x.sh %Hunter2pw%\n", encoding="utf-8")
    (fed,) = rows_of(secret)
    assert "Hunter2pw" not in json.dumps(fed), fed
    assert "(10 characters, 1 line; not shown" in fed["__warnings__"], fed["__warnings__"]


def test_an_anacrontab_line_is_refused_not_saved_with_its_delay_as_a_command(tmp_path: Path) -> None:
    """RHEL's /etc/anacrontab read as a crontab: `@monthly 15 cron.monthly run-parts …` was a flow
    whose command was `15 cron.monthly run-parts …`, which cannot run; a crontab's own @monthly
    line is unchanged."""
    path = tmp_path / "anacrontab"
    path.write_text("RANDOM_DELAY=45\nSTART_HOURS_RANGE=3-22\n@monthly 15\tcron.monthly\trun-parts --report "
                    "/etc/cron.monthly\n@monthly /opt/report.sh --month\n1\t5\tcron.daily\t\tnice run-parts "
                    "/etc/cron.daily\n", encoding="utf-8")
    rows = {row["flow"]: row for row in rows_of(path)}
    refused = rows["line 3"]
    assert codes(refused["__errors__"]) == ["INVALID_SYNTAX"]
    assert "is an anacrontab line (period @monthly, delay 15 minutes, job 'cron.monthly')" in refused["__errors__"]
    # a period in days: the identifier stood where the day of the month is (it was "has no command",
    # or a flow whose schedule failed on a day of the month `cron.daily`)
    assert "is an anacrontab line (period 1 days, delay 5 minutes, job 'cron.daily')" in rows["line 5"]["__errors__"]
    short = tmp_path / "short.anacrontab"  # four words: it said "fewer than 5 time fields"
    short.write_text("3\t10\tbackup.job\t/opt/backup.sh\n", encoding="utf-8")
    assert "is an anacrontab line (period 3 days, delay 10 minutes, job 'backup.job')" in json.dumps(rows_of(short))
    # a crontab's own `L` (last day, which some crons read) in that place is no job identifier
    last = tmp_path / "last.cron"
    last.write_text("0 5 L * * /opt/month-end.sh\n", encoding="utf-8")
    assert "anacrontab" not in json.dumps(rows_of(last))
    assert [row["command"] for row in rows.values() if row["command"]] == ["/opt/report.sh --month"]


@pytest.mark.parametrize("between", ["### crontab -u bob -l\n", "no crontab for carol\n",
                                     "# DO NOT EDIT THIS FILE - edit the master and reinstall.\n",
                                     "# crontab -l -u bob\n", "# ===== crontab for user bob =====\n",
                                     "==> /var/spool/cron/crontabs/bob <==\n", "# user: bob\n", "#### USER=bob ####\n",
                                     "==> bob <==\n", "bob\n", "User: bob\n", "=== bob ===\n", "[bob]\n",
                                     "bob@db01\n"])
def test_several_users_crontabs_joined_in_one_file_are_refused(tmp_path: Path, between: str) -> None:
    """`for u in …; do crontab -u $u -l; done > all.txt`: alice's CRON_TZ and MAILTO applied to
    bob's jobs (shifted from Tokyo, alerts to alice), every job keyed to one user, without a word."""
    first = between.replace("bob", "alice").replace("carol", "dave")
    path = tmp_path / "all.txt"
    path.write_text(f"{first}MAILTO=alice@example.com\nCRON_TZ=Asia/Tokyo\n0 2 * * * /home/alice/a.sh\n"
                    f"{between}15 4 * * * /home/bob/bin/sync.sh\n", encoding="utf-8")
    with pytest.raises(SourceError) as refused:
        rows_of(path)
    assert f"this looks like several crontabs joined in one file (line 5: {between.strip()[:60]!r}, after line 2: " \
           "'MAILTO=alice@example.com')" in str(refused.value), str(refused.value)
    assert "save each crontab as a file of its own in a folder" in str(refused.value)
    # close together: alice's one job, then bob's marker (it got through within three lines, and
    # alice's CRON_TZ moved bob's job by nine hours)
    path.write_text(f"{first}CRON_TZ=Asia/Tokyo\n0 2 * * * /home/alice/a.sh\n{between}15 4 * * * /home/bob/b.sh\n",
                    encoding="utf-8")
    with pytest.raises(SourceError, match="several crontabs joined in one file \\(line 4:"):
        rows_of(path)
    path.write_text(f"{first}MAILTO=alice@example.com\n0 2 * * * /home/alice/a.sh\n", encoding="utf-8")
    assert [row["command"] for row in rows_of(path) if row["command"]] == ["/home/alice/a.sh"]  # one crontab
    # `echo "### crontab -u alice -l"; crontab -u alice -l` on an older cron: a marker, then its header
    path.write_text("### crontab -u alice -l\n# DO NOT EDIT THIS FILE - edit the master and reinstall.\n"
                    "# (/tmp/crontab.XXXXQ2m3 installed on Tue Mar  3 10:12:01 2026)\n0 2 * * * /home/alice/a.sh\n",
                    encoding="utf-8")
    assert [row["command"] for row in rows_of(path)] == ["/home/alice/a.sh"]


def test_environment_names_in_any_script_are_environment_lines(tmp_path: Path) -> None:
    """cron takes any name before `=`: `密码=…` and `ＰＡＳＳＷＯＲＤ=…` were refused as "not a job line", and
    the job below them saved without them (and without the warning their names call for)."""
    path = tmp_path / "user.cron"
    path.write_text("密码=not-a-real-one\ncontraseña=x\n0 1 * * * /opt/a.sh\n", encoding="utf-8")
    (row,) = rows_of(path)
    assert json.loads(row["params"]) == [{"key": "密码", "value": "not-a-real-one"}, {"key": "contraseña", "value": "x"}]
    assert "ENVIRONMENT_SECRET" in codes(row["__warnings__"])


def test_a_comment_that_only_mentions_crontab_u_is_no_second_crontab(tmp_path: Path) -> None:
    path = tmp_path / "user.cron"
    path.write_text("0 1 * * * /opt/a.sh\n# the job below prints: crontab -u bob -l | grep x\n"
                    "0 2 * * * /opt/b.sh\n", encoding="utf-8")
    assert [row["command"] for row in rows_of(path)] == ["/opt/a.sh", "/opt/b.sh"]
    # a section header of one crontab, and a user named in a sentence, are no second crontab's
    path.write_text("0 1 * * * /opt/a.sh\n### reports ###\n# user: the reporting team\n# User: jo.doe@example.com\n"
                    "USER=postgres\n0 2 * * * /opt/b.sh\n", encoding="utf-8")
    assert [row["command"] for row in rows_of(path)] == ["/opt/a.sh", "/opt/b.sh"]
    # an empty value after a job (`CRON_TZ=`, the host's zone again; `MAILTO=`) is a NAME=value line,
    # not a name framed by `=`: the crontab was refused as several joined
    path.write_text("CRON_TZ=Europe/Berlin\n30 2 * * * /opt/a.sh\nCRON_TZ=\nMAILTO=\n0 3 * * * /opt/d.sh\n",
                    encoding="utf-8")
    assert [(row["command"], row["timezone"]) for row in rows_of(path)] == [("/opt/a.sh", "Europe/Berlin"),
                                                                           ("/opt/d.sh", "")]


def test_a_line_that_sets_a_secret_is_never_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`export DB_PASSWORD=…` is no job line (nor an environment line: cron reads no `export`): its
    refusal quoted it, putting the password in the plan and the result log; a credentials file
    given as the crontab, the same in the refusal of the whole file."""
    secret = "hunter2hunter2"
    crontab = tmp_path / "jobs.cron"
    crontab.write_text(f"export DB_PASSWORD={secret}\n0 2 * * * /opt/backup.sh\n", encoding="utf-8")
    code, plan, err = plan_profile(tmp_path, capsys, "crontab", crontab)
    assert code == 5 and secret not in json.dumps(plan) + err, plan
    assert any("looks like it sets a secret: not shown" in e["message"] for f in plan["invalid_flows"]
               for e in f["errors"]), plan["invalid_flows"]
    crontab.write_text(f'app_secret = "{secret}"\n', encoding="utf-8")
    code, plan, err = plan_profile(tmp_path, capsys, "crontab", crontab)
    assert code == 1 and secret not in json.dumps(plan) + err and "does not look like a crontab" in err, err


def test_the_secret_the_tool_holds_is_masked_in_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A crontab job that passes the app secret on its command line: `plan` (table, JSON, Markdown)
    printed it, where `run` masked it (found by a reviewer)."""
    secret = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    monkeypatch.setenv("MIGRATE_APP_KEY", "k1")
    monkeypatch.setenv("MIGRATE_APP_SECRET", secret)
    crontab = tmp_path / "jobs.cron"
    crontab.write_text(f"0 2 * * * /opt/a.sh --token {secret}\n{secret} --again\n", encoding="utf-8")
    code, plan, err = plan_profile(tmp_path, capsys, "crontab", crontab)
    assert code == 5 and plan["actions"] and secret not in json.dumps(plan) + err, plan
    # withheld: as a secret by its shape (`--token …`), or as the tool's own
    assert "[not shown]" in json.dumps(plan) or "[redacted]" in json.dumps(plan), plan
    for shown in ("--markdown", None):
        code = main(["plan", str(tmp_path / "crontab-plan.toml"), "--offline", *([shown] if shown else [])])
        out, err = capsys.readouterr()
        assert code == 5 and secret not in out + err, [line for line in out.splitlines() if secret in line]


def test_a_secret_in_a_command_never_names_the_flow_and_is_said(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`PGPASSWORD=s3cr3t pg_dump` was the flow `PGPASSWORD_s3cr3t_f52f0b`, a name every user lists,
    with no warning; `curl -u admin:…` and `mysqldump -p…` went unsaid (found by a new user)."""
    crontab = tmp_path / "jobs.cron"
    crontab.write_text("0 1 * * * PGPASSWORD=s3cr3t /usr/bin/pg_dump -h db prod\n"
                       "0 2 * * * curl -u admin:Pa55word https://example.invalid/hook\n"
                       "0 3 * * * mysqldump -uroot -pTopSecret1 prod\n"
                       "0 4 * * * PGPASSWORD=$PW pg_dump prod\n", encoding="utf-8")
    code, plan, err = plan_profile(tmp_path, capsys, "crontab", crontab)
    assert code == 3, (plan, err)
    names = [action["name"] for action in plan["actions"]]
    assert names[0].startswith("pg_dump_") and names[3].startswith("pg_dump_"), names
    assert not any(secret in json.dumps(names) for secret in ("s3cr3t", "PGPASSWORD")), names
    said = [next((w["message"] for w in a.get("warnings", []) if w["code"] == "SECRET_IN_COMMAND"), "")
            for a in plan["actions"]]
    assert "PGPASSWORD=" in said[0] and "curl's -u user:password" in said[1] and "MySQL -p" in said[2], said
    assert said[3] == ""  # a reference, $PW, holds no secret
    assert not any(secret in " ".join(said) for secret in ("s3cr3t", "Pa55word", "TopSecret1")), said


@pytest.mark.parametrize(("line", "program"), [
    ("PGPASSWORD=$(cat /etc/Xpgpw) pg_dump prod", "pg_dump"), ("PGPASSWORD=`cat /etc/Xbq4` pg_dump prod", "pg_dump"),
    ("PGPASSWORD=Xdq\\ 10 pg_dump prod", "pg_dump"), ("( PGPASSWORD=Xparen9 pg_dump prod )", "pg_dump"),
    ("PGPASSWORD=Xonly6", "job"), ('A="x y" B=1 /opt/run.sh', "run.sh")])
def test_a_flow_is_named_after_the_program_past_any_assignment(line: str, program: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    crontab = tmp_path / "jobs.cron"
    crontab.write_text(f"0 1 * * * {line}\n", encoding="utf-8")
    _, plan, err = plan_profile(tmp_path, capsys, "crontab", crontab)
    [action] = plan["actions"]
    assert action["name"].rsplit("_", 1)[0] == program and "X" not in action["name"], (action["name"], err)


@pytest.mark.parametrize("command", [
    "docker run --rm -u 1000:1000 busybox true", "beeline -u jdbc:hive2://hs2:10000/default -e 'select 1'",
    "/opt/recon --password %%PASS", "/opt/tool --password @option.db_password@", "mysql --user=root --password prod",
    "TOKEN_FILE=/etc/tok /opt/run.sh", "psql -p 5432 prod", "mkdir -p /x && find . -print",
    "docker login --password-stdin", "/opt/tool --password-file /etc/pw", "sqlplus -s /nolog @r.sql",
    "sqlplus scott/$ORA_PW@orcl", "/opt/etl --url jdbc:oracle:thin:@db:1521/x",
    r"net use \\\\h\\s /user:x && copy a b", r"net use \\\\h\\s * /user:x", """/opt/post '{"keyspace": "sales"}'""",
    r"net use \\\\h\\s /user:svc 2>&1", r"net use \\\\h\\s /user:svc; echo ok"])
def test_a_command_without_a_secret_is_not_said_to_hold_one(command: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`-u 1000:1000` (docker; Kubernetes' own runAsUser and runAsGroup) and a JDBC URL were "curl's
    -u user:password"; Control-M's `%%PASS` and Rundeck's `@option…@` are references (found by a
    reviewer)."""
    crontab = tmp_path / "jobs.cron"
    crontab.write_text(f"0 1 * * * {command}\n", encoding="utf-8")
    _, plan, _ = plan_profile(tmp_path, capsys, "crontab", crontab)
    assert "SECRET_IN_COMMAND" not in json.dumps(plan), plan["actions"]


@pytest.mark.parametrize(("command", "secret"), [
    ("redis-cli -a Xredis11 ping", "Xredis11"), ('curl -H "Authorization: Bearer Xbearer17" https://h', "Xbearer17"),
    ("/opt/tool --db-password Xdbpw4", "Xdbpw4"), ("sqlcmd -S db -U sa -P Xst3abc -Q x", "Xst3abc"),
    ("curl --user admin:Xcurl6 https://h", "Xcurl6"), ("/opt/load --token Tok5566aa", "Tok5566aa"),
    ("/opt/load --api-key=Key9911bb", "Key9911bb"), ('curl -H "X-Api-Key: K12345678" https://h', "K12345678"),
    ("HIVE.PASSWORD=HivePw5566 /opt/hive.sh", "HivePw5566"), ("sqlplus -s scott/Xtiger7@orcl @r.sql", "Xtiger7"),
    ("/opt/etl --url jdbc:oracle:thin:scott/Xthin8@db:1521/x", "Xthin8"),
    ('sqlplus -s "scott/Xquoted9@orcl" @r.sql', "Xquoted9"), ("rman target sys/Xrman10@prod", "Xrman10"),
    ("curl 'https://x.example.com/hook?apikey=Xquery11'", "Xquery11"),  # a URL's query, as a parameter's is read
    ("lftp -u user,Xlftp12 sftp://h -e 'mirror'", "Xlftp12"),
    ("curl 'https://a.blob.core.windows.net/c/f?sv=2020&sig=Xsas13&se=x'", "Xsas13"),  # signed URLs
    ("curl 'https://b.s3.amazonaws.com/k?X-Amz-Signature=Xamz14'", "Xamz14"),
    ("curl -d x https://hooks.slack.com/services/T0/B0/Xslack15", "Xslack15"),
    ("curl -X POST https://hooks.slack.com/triggers/T0/12/Xslack18", "Xslack18"),
    # JSON members named as secrets by the parameters' rule, and net use's password before /user:
    ("""aws lambda invoke --payload '{"db_password": "Xjson21aa", "region": "eu"}' o""", "Xjson21aa"),
    ("""/opt/post '{"clientSecret": "Xjson22aa"}'""", "Xjson22aa"),
    (r"net use Z: \\\\nas01\\backup Xnet23aa /user:CORP\\svc /persistent:no", "Xnet23aa"),
    (r"net.exe use \\\\nas01\\backup /user:CORP\\svc Xnet24aa", "Xnet24aa"),
    # a quoted password whole (only its first word was withheld), /u:, a JSON value with escapes in it
    (r'net use \\\\srv\\s /user:svc "Xq25 Yq25aaa"', "Yq25aaa"), (r"net use Z: \\\\srv\\s /u:svc Xnet26aa", "Xnet26aa"),
    (r"""curl -d '{"password":"Pa\"ss\"Xjson27aa"}' https://x""", "Xjson27aa"),
    (r"""echo '{"db_password": "C:\\vault\\Xjson28aa"}'""", "Xjson28aa"),
    # a quoted user name with a blank before it, quotes run together, cmd's ^ escaping a blank
    (r'net use \\\\srv\\s /user:"dom\\alice smith" "Xq29 Yq29aaa"', "Yq29aaa"),
    (r'net use \\\\srv\\s "Xq30aa""Yq30aaa" /user:bob', "Yq30aaa"), (r"net use \\\\srv\\s Xq31aa^ Yq31aaa /user:x", "Yq31aaa")])
def test_a_secret_in_a_command_is_named_never_its_value(
        command: str, secret: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Shapes reviewers found uncaught: redis-cli -a, an Authorization header, --db-password, sqlcmd -P, a
    URL's query parameter named as a secret or signing it, lftp's -u user,password, a Slack webhook."""
    crontab = tmp_path / "jobs.cron"
    crontab.write_text(f"0 1 * * * {command}\n", encoding="utf-8")
    _, plan, _ = plan_profile(tmp_path, capsys, "crontab", crontab)
    [action] = plan["actions"]
    messages = json.dumps([action.get("warnings", []), action.get("errors", [])])
    assert "SECRET_IN_COMMAND" in messages and secret not in messages, messages
    assert secret not in json.dumps(action), action  # nor its source key (a crontab job's is its command)


def test_a_secret_written_with_crons_escaped_percent_is_withheld_from_the_description(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A crontab writes a signed URL's `%2B` as `\\%2B`: the command read from it holds `%2B`, so the
    description, which quotes the line, kept the whole secret in the service."""
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    crontab = tmp_path / "jobs.cron"
    crontab.write_text('1 2 * * * curl "https://a.example/f?sv=1&sig=Xsas19\\%2Bxyz\\%3D" -o f\n'
                       "3 2 * * * PGPASSWORD=Xpg20\\%xyz psql -c x\n", encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "crontab", "jobs.cron", source_lines='options = { user = "u" }',
                                run="create_missing = true\nlog_payload = true")
    assert main(["run", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    descs = [line["payload"]["desc"] for line in map(json.loads, Path(report["result_log"]).read_text(
        encoding="utf-8").splitlines()) if "payload" in line]
    assert len(descs) == 2 and all("[not shown]" in desc for desc in descs), descs
    assert not any("Xsas19" in desc or "Xpg20" in desc for desc in descs), descs


def test_a_withheld_value_leaves_the_quote_that_closes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`curl '…&token=T0K'`: the mask took the closing quote with the value, in the source key and
    the flow's description (`…&token=[not shown]`)."""
    crontab = tmp_path / "jobs.cron"
    crontab.write_text("0 5 * * * curl -s 'https://h.example.com/x?access_token=Xtok16aa&token=Xtok17bb'\n",
                       encoding="utf-8")
    _, plan, _ = plan_profile(tmp_path, capsys, "crontab", crontab)
    [action] = plan["actions"]
    assert action["source_key"].endswith("access_token=[not shown]&token=[not shown]'"), action["source_key"]


def test_a_run_that_creates_flows_says_where_orphans_may_be_left_running(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A command edited is a new job (its key is its command): the run created it and said nothing
    of the old flow, which fired on beside it (found by a new user). The run now says where to look."""
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    crontab = tmp_path / "jobs.cron"
    crontab.write_text("0 1 * * * /srv/bin/a.sh\n0 2 * * * /srv/bin/b.sh\n", encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "crontab", crontab, run="create_missing = true")
    assert main(["run", str(config), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert not any("orphan" in note for note in first["notes"]), first["notes"]  # a first migration: none to say
    crontab.write_text("0 1 * * * /srv/bin/a.sh\n0 2 * * * /srv/bin/b.sh --fast\n", encoding="utf-8")
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["by_status"].get("created") == 1, report
    assert any(note.startswith("1 flow was created beside flows made before") and "--prune disable" in note
               for note in report["notes"]), report["notes"]
    code = main(["plan", str(config), "--json"])
    plan = json.loads(capsys.readouterr().out)
    assert [a["action"] for a in plan["actions"]].count("orphaned") == 1, plan["actions"]
    main(["plan", str(config)])  # the table's count adds up: the orphan is no flow of the export
    assert "2 flows found: unchanged 2; live flows whose job left the export: orphaned 1" in capsys.readouterr().out


def test_a_job_without_cron_tz_says_its_zone_is_the_hosts_until_source_timezone_names_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A crontab fires on its host's clock, which the file does not say: the schedule was taken to
    be in the service's zone without a word (systemd's, Windows' and Rundeck's profiles said
    HOST_TIMEZONE). A job below CRON_TZ has its zone; `[mapping] source_timezone` names the host's."""
    crontab = tmp_path / "jobs.cron"
    crontab.write_text("0 1 * * * /opt/a.sh\nCRON_TZ=UTC\n0 2 * * * /opt/b.sh\n", encoding="utf-8")
    code, planned, err = plan_profile(tmp_path, capsys, "crontab", crontab, target='timezone = "UTC"')
    warned = {a["name"][:4]: [w["code"] for w in a.get("warnings", [])] for a in planned["actions"]}
    assert code == 3 and warned == {"a.sh": ["HOST_TIMEZONE"], "b.sh": []}, (warned, err)
    code, planned, err = plan_profile(tmp_path, capsys, "crontab", crontab,
                                      extra='[mapping]\nsource_timezone = "UTC"', target='timezone = "UTC"')
    assert code == 3 and not any(w["code"] == "HOST_TIMEZONE" for a in planned["actions"] for w in a.get("warnings", [])), err


def test_a_last_line_without_its_line_end_is_a_job_cut_short(tmp_path: Path) -> None:
    """A copy cut short in the middle of the last job (`/opt/jobs/bac`): planned valid, saved with
    the command cut (found by a fuzzing reviewer). crontab(1) installs no file without a final line
    end and `crontab -l` always writes one: that job is TRUNCATED; the others go on."""
    path = tmp_path / "cut.cron"
    path.write_text("0 1 * * * /opt/a.sh\n30 2 * * * /opt/jobs/bac", encoding="utf-8")
    first, cut = rows_of(path)
    assert not first["__errors__"] and codes(cut["__errors__"]) == ["TRUNCATED"], cut
    for whole in ("0 1 * * * /opt/a.sh\n30 2 * * * /opt/jobs/backup.sh\n", "0 1 * * * /opt/a.sh\r\n# end",
                  "0 1 * * * /opt/a.sh\r"):
        path.write_text(whole, encoding="utf-8", newline="")  # a line end after it, or the last line a comment
        assert all(not row["__errors__"] for row in rows_of(path)), whole
