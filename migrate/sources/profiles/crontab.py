"""User and system crontabs: one flow per job line, its command one task.

Fields are separated by any run of blanks (spaces or tabs), as cron reads them, in every form:
a user crontab (`m h dom mon dow command`), a system crontab or an /etc/cron.d file (a user
column before the command), and `@` macros (`@daily [user] command`). A job whose command comes
out empty is an error naming its line, never a task that runs nothing.

A job's row in a plan, a result line or a message is its line in the file (comments, blank and
environment lines counted), so it names the line a user opens.

Comments and blank lines are skipped. Environment lines (`NAME = value`, the value optionally in
matching quotes) apply to the lines after them and travel as flow parameters. `MAILTO` with an
address turns on e-mail alerts; `MAILTO=""` means cron sends no mail. `CRON_TZ` is the zone the
following lines fire in: cronie (Fedora, RHEL, Arch) honours it, so it becomes the flow's
`timezone`; Debian's and Ubuntu's cron ignores it (`cron_tz = false` says so, and the line is
then only reported). `TZ` is the commands' environment: cronie and Debian's cron still fire on the
host's clock, so it is reported, never taken as the schedule's zone. An unescaped `%` ends the
command: what follows is the job's standard input, which a flow task cannot take, so it is
flagged.

Options: `system = true` for a system crontab (a user column), `user = "name"` as the owner of a
user crontab's jobs (`user_from_file = true`: the file's name, as in a spool folder of users'
crontabs), `cron_tz = false` for a crontab run by a cron that ignores CRON_TZ. In a
system crontab the user a job ran as is RUN_AS (the flow runs as the service's doAs account), and
a user column that cannot be a user name (`/opt/run.sh`, `>`, `-x`) fails its line, naming the
value: such a file is a user crontab. A system crontab whose file name holds other than letters,
digits, `_` and `-` (`backup.cron`) is CRON_D_NAME on each job: in /etc/cron.d, Debian's and
Ubuntu's cron skip such a file (cronie reads it), so its jobs may never have run.

A job's source key is its user and command (`alice:/opt/backup.sh --full`), and the n-th line
with the same user and command gets ` #n`: never its line number, so that adding, removing or
reordering lines leaves every other job's flow where it was. Its name is the program and six hex
digits of that key (`backup.sh_3f2a1c`); a job whose six digits meet an earlier job's takes twelve.

A file in which no line is a job (five time fields or an `@` macro, then a command) is not a
crontab: it is refused as a whole, so that a wrong file never passes as "0 flows".
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from migrate.config import SourceSettings
from migrate.redact import shown
from migrate.sources.profiles import SECRET_NAME, FlowRows, Profile, look_like_secrets, parameters_text, rows_of
from migrate.sources.readers import OptionNeeded, SourceError, SourceRow, utf16_codec

OPTIONS = ("system", "user", "user_from_file", "cron_tz")
# cron takes any name before `=` (its bytes, any script: `密码=…`), but what begins a job line: a
# digit, `*`, `@`, or cronie's `-`.
ENVIRONMENT = re.compile(r"^\s*([^\s=#*@\d-][^\s=]*)\s*=\s*(.*)$")
# cron's minute and hour fields: numbers, `*`, ranges, lists and steps, nothing else; a line whose
# first two words are not such fields is not a job line.
TIME_FIELD = re.compile(r"^[0-9*][0-9*,/-]*$")
# cronie's random ranges (1.6 on): `0~30` is a minute drawn once, when the daemon starts.
RANDOM_FIELD = re.compile(r"^[0-9*,/-]*~[0-9*,/~-]*$")
# A user name as POSIX (the portable filename characters) and useradd allow it: no `/`, blank,
# quote or redirection, not starting with `-`; Samba machine accounts end with `$`.
USER_NAME = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$")
MACROS = ("@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
# A file whose first this many active lines are none of them jobs is not a crontab: refused then,
# rather than holding a large file of something else in memory.
UNRECOGNISED_BEFORE_REFUSAL = 1000
# What a loop over users writes between their crontabs (`crontab -u "$u" -l`, echoed, or its
# "no crontab for carol"), and the header `crontab -l` printed above each one on older crons.
# A marker is a comment that names a user's crontab (`crontab -u bob -l`, in any order of its
# options; `crontab for user bob`; `# user: bob`, as a loop echoes one; `tail`'s and `head`'s file
# headers, `==> /var/spool/cron/crontabs/bob <==` or `==> bob <==` from within the spool folder, no
# crontab line), not a command written in a comment (`… crontab -u bob -l | grep x`: no pipe or `;`
# after it). A bare `### bob` is not one: a crontab's own section headers look so.
JOINED_CRONTAB = re.compile(r"#[#=\s-]*crontab\s+(?:-l\s+)?-u\s*\S+(?:\s+-l)?[#=\s-]*$"
                            r"|#[#=\s-]*(?:listing )?crontab (?:of|for) (?:user )?\S+[#=\s-]*$"
                            r"|#[#=\s-]*user(?:name)?\s*[:=]\s*[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?[#=\s-]*$"
                            r"|==> \S+ <==$|no crontab for \S+|# DO NOT EDIT THIS FILE", re.IGNORECASE)
# The same header echoed without a `#` (`echo "$u"`, `echo "User: $u"`, `echo "=== $u ==="`,
# `[$u]`, `$u@$host`, sudo's prompt): a line of one user name, in any frame, which no crontab can
# hold (crontab(1) refuses to install a file with a line that is neither a job, a NAME=value line
# nor a comment); a name of at most 32 characters, as useradd allows. (A `#` comment framing a name,
# `### reports ###`, is a crontab's own heading: not one.)
_FRAME = r"[=\-*~<>\[\]: ]*"
USER_HEADER = re.compile(rf"{_FRAME}(?:user(?:name)?\s*:?\s*|(?:listing )?crontab (?:of|for) (?:user )?)?"
                         rf"[A-Za-z0-9_.][A-Za-z0-9_.-]{{0,31}}\$?(?:@[A-Za-z0-9.-]+)?{_FRAME}"
                         rf"|\[sudo\] password for \S+:?", re.IGNORECASE)
# The names Debian's cron reads in /etc/cron.d (run-parts' rule): any other file there it skips.
CRON_D_NAME = re.compile(r"[A-Za-z0-9_-]+")
# A heading of words, not a job nor an environment line (`Jobs of bob:`, `bob's crontab`): maybe
# another user's crontab beginning, whose jobs would take the environment lines above it.
WORDS_LINE = re.compile(r"[A-Za-z][^=]*(?::|\bcrontab\b[^=]*)$", re.IGNORECASE)
EXPECTED = ("expected job lines: five time fields (minute hour day-of-month month day-of-week) or an @ macro, "
            "then {user}the command, with comments (#) and NAME=value lines between them")


def _lines(settings: SourceSettings) -> Iterator[tuple[int, str]]:
    """Every line through pandas, streamed; the number is the line in the file."""
    import pandas as pd  # here: recognising a format or planning another profile need not import it

    number = 0
    try:
        chunks = pd.read_csv(settings.path, sep="\x00", header=None, names=["line"], dtype=str, quoting=csv.QUOTE_NONE,
                             keep_default_na=False, skip_blank_lines=False, encoding=settings.encoding,
                             chunksize=settings.chunk_rows, engine="c")
        with chunks:
            for chunk in chunks:
                if not isinstance(chunk.index, pd.RangeIndex):  # a NUL, the separator, made a line two fields
                    raise SourceError(f"{settings.path}: {_where_nul(settings)}")
                for line in chunk["line"].tolist():  # plain str: iterating Arrow strings is slower
                    number += 1
                    yield number, line
    except pd.errors.ParserError:  # a line with more NULs than the first line had
        raise SourceError(f"{settings.path}: {_where_nul(settings)}") from None
    except UnicodeDecodeError as error:
        raise SourceError(f"{settings.path}: {_where_undecodable(settings, number + 1, error)}") from None
    except UnicodeError as error:  # the codec's own refusal: "UTF-16 stream does not start with BOM"
        raise SourceError(f"{settings.path}: not {settings.encoding} text ({error}); set [source] encoding to the "
                          "file's") from None
    except pd.errors.EmptyDataError:
        return


def _where_nul(settings: SourceSettings) -> str:
    """The first line holding a NUL byte, which no crontab has (the lines are read with NUL as the
    separator, so that no character of a line splits it): UTF-16 text without its byte-order mark
    has one in every other byte, else the file is binary or a damaged copy."""
    with settings.path.open("rb") as stream:
        head = stream.read(200)
        stream.seek(0)
        found = next(((number, raw.find(b"\x00")) for number, raw in enumerate(stream, 1) if b"\x00" in raw), None)
    if found is None:
        return "a line could not be read as one field"
    number, at = found
    if head.count(b"\x00") * 3 >= len(head):
        return (f"line {number} holds NUL bytes, as UTF-16 text without a byte-order mark does: set [source] "
                f"encoding = \"{utf16_codec(head)}\", or save it as UTF-8")
    return (f"line {number} holds a NUL byte (byte {at + 1} of the line), which no crontab has: a binary file or a "
            "damaged copy; remove it, or export the crontab again")


def _where_undecodable(settings: SourceSettings, from_line: int, error: UnicodeDecodeError) -> str:
    """The first line the encoding cannot read, and its byte (pandas names only the chunk's first
    line): found again in the file's bytes, line by line, from `from_line` on."""
    with settings.path.open("rb") as stream:
        head = stream.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not settings.encoding.lower().startswith("utf-16"):
            return (f"not {settings.encoding} text: it starts with UTF-16's byte-order mark (saved by Windows "
                    "PowerShell 5, say); set [source] encoding = \"utf-16\"")
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(settings.encoding)()
        for number, raw in enumerate(stream, 1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError as found:
                if number < from_line:
                    break
                return (f"line {number}: not {settings.encoding} text (byte {found.start + 1} of the line: "
                        f"0x{raw[found.start]:02X}); set [source] encoding to the file's (latin-1, cp1252, gbk…)")
    return f"line {from_line}: not {settings.encoding} text ({error.reason})"


def split_percent(command: str) -> tuple[str, str | None]:
    """cron's `%`, as vixie cron, cronie and Debian's cron read it (do_command.c): the command ends
    at the first `%` that no backslash escapes, and the rest is standard input. A backslash escapes
    the character after it, so they go in pairs: `\\%` is an escaped `%`, written `%`, but in
    `\\\\%` the backslashes escape each other (both kept) and the `%` ends the command. Any other
    escaped character keeps its backslash."""
    if "%" not in command:  # most commands: nothing to split
        return command, None
    head: list[str] = []
    escaped = False
    for index, character in enumerate(command):
        if escaped:
            if character == "%":
                head[-1] = "%"  # the backslash gives way to the % it escapes
            else:
                head.append(character)
            escaped = False
        elif character == "\\":
            head.append(character)
            escaped = True
        elif character == "%":
            return "".join(head), _standard_input(command[index + 1:])
        else:
            head.append(character)
    return "".join(head), None


def _standard_input(text: str) -> str:
    """The text after the command's `%`, as cron writes it to the job: each `%` a newline but an
    escaped one, which is a `%`; any other escaped character keeps its backslash, as does a
    backslash at the end."""
    written: list[str] = []
    escaped = False
    for character in text:
        if escaped and character != "%":
            written.append("\\")
        shown = "\n" if character == "%" and not escaped else character
        escaped = character == "\\"
        if not escaped:
            written.append(shown)
    if escaped:
        written.append("\\")
    return "".join(written)


def environment_value(text: str) -> str:
    """The value of `NAME = value` as cron reads it: blanks around it dropped, and one pair of
    matching quotes removed (so `MAILTO=""` is the empty string)."""
    value = text.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def job_key(owner: str, command: str, occurrence: int) -> str:
    """A job's identity: who runs what, never where the line stands. The n-th line with the same
    user and command (another schedule of the same job) is told apart by n."""
    key = f"{owner}:{command}"
    return key if occurrence == 1 else f"{key} #{occurrence}"


NAME_SAFE = re.compile(r"[A-Za-z0-9_.-]+")


# Assignments a shell reads before the program (`PGPASSWORD=… pg_dump`): never the flow's name, which
# every user of the organisation lists (a secret's value was a flow name).
LEADING_ASSIGNMENTS = re.compile(r"^[\s({]*(?:[A-Za-z_]\w*=(?:\"[^\"]*\"|'[^']*'|\$\([^)]*\)|`[^`]*`|\\.|[^\s\\])*"
                                 r"(?:\s+|$))+")


def job_name(command: str, key: str, digits: int = 6) -> str:
    """The program and a few digits of the key: stable however the file is edited around it."""
    words = LEADING_ASSIGNMENTS.sub("", command).split(None, 1)
    program = words[0].rsplit("/", 1)[-1] if words else "job"  # a path's last part, as PurePosixPath.name
    digest = hashlib.sha256(key.encode()).hexdigest()[:digits]
    name = f"{program}_{digest}"
    return name if NAME_SAFE.fullmatch(name) and name[0] != "_" else re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


def _schedule_words(line: str) -> int | None:
    """How many words the schedule takes (1 for a macro, 5 for time fields), or None when the
    line is not a job line."""
    first = line.split(None, 1)[0]
    if first in MACROS:
        return 1
    words = line.split(None, 2)
    if len(words) >= 2 and all(TIME_FIELD.match(w) or RANDOM_FIELD.match(w) for w in words[:2]):
        return 5
    return None


def _cronie_marks(flow: FlowRows, number: int, schedule: list[str], quiet: bool) -> None:
    """What cronie alone reads in a job line: `-` before it (the job not logged to syslog) and
    `~` ranges (a time drawn at random when the daemon starts, which no schedule can carry)."""
    if quiet:
        flow.warn("NO_SYSLOG", f"line {number}: the '-' before the schedule told cronie not to log the job's runs to "
                               "syslog; the service keeps a record of every run")
    random = [field for field in schedule if "~" in field]
    if random:
        flow.fail("RANDOM_TIME", f"line {number}: {' '.join(random)} is a time cronie draws at random within the range "
                                 "each time the daemon starts (a '~' range): no flow schedule fires so; write the "
                                 "time it should fire at")


def _options(settings: SourceSettings) -> tuple[bool, str, bool]:
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{settings.path}: crontab options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    user = str(settings.options.get("user", ""))
    if settings.options.get("user_from_file", False):
        if user:
            raise SourceError(f"{settings.path}: crontab options user and user_from_file: choose one")
        # A spool's crontab is named after its user (/var/spool/cron/crontabs/alice): so is the key,
        # so that one command in two users' crontabs is two jobs.
        user = Path(settings.path).name
    return bool(settings.options.get("system", False)), user, bool(settings.options.get("cron_tz", True))


def _invalid(number: int, message: str) -> FlowRows:
    flow = FlowRows(key=f"line {number}", name=f"line{number}", line=number)
    flow.fail("INVALID_SYNTAX", f"line {number}: {message}")
    flow.cells["active"] = "1"  # an uncommented line was live in cron: its only fault is the one named
    return flow


# The accounts that own the jobs of /etc/crontab and /etc/cron.d files (Debian's base-passwd and
# RHEL's, and those of common services), where a user crontab's command would begin with them: a
# cron.d file read as a user crontab keeps its user column in every command. Accounts that are
# commands too (mail, sync, git, hdfs, mysql, yarn, postfix …) are left out: `git pull` is a job.
SYSTEM_ACCOUNTS = frozenset([
    "root", "daemon", "bin", "sys", "games", "news", "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody",
    "_apt", "adm", "operator", "apache", "nginx", "www", "wwwrun", "postgres", "oracle", "tomcat", "jenkins", "kafka",
    "zookeeper", "elasticsearch", "zabbix", "munin", "nagios", "prometheus", "smmsp", "ubuntu", "centos", "ec2-user",
    "debian"])


# What follows an anacrontab period (`@monthly 15 cron.monthly run-parts …`): a delay in minutes,
# a job identifier (any word, no /), then the command.
ANACRON_JOB = re.compile(r"^(\d+)\s+([^\s/]+)\s+\S")
# A job identifier where a day of the month stands (`cron.daily`): a word no cron reads as days
# (which are digits, `*`, and Quartz's `L`, `W`, `?`, `#` in some crons).
ANACRON_ID = re.compile(r"(?![\dLW#?,*/-]+$)[^\s/]*[A-Za-z][^\s/]*")


def _user_column(command: str) -> str | None:
    """The account a command begins with, where a system crontab has its user column: followed
    by a command, not by an option or a redirection (`nginx -s reload` is the command nginx)."""
    words = command.split(None, 2)
    if len(words) < 2 or words[0] not in SYSTEM_ACCOUNTS or words[1].startswith(("-", "<", ">", "|", "&", ";")):
        return None
    return words[0]


def _anacron(line: str, period: str, delay: str, job: str) -> str:
    return (f"{line!r} is an anacrontab line (period {period}, delay {delay} minutes, job {job!r}): anacron runs "
            "the job once a period when the machine is up, after that delay, not at a time of day, which a flow's "
            "schedule cannot say; migrate its job by hand, or as the cron job that starts anacron")


def _job(number: int, line: str, words: int, system: bool, owner: str, occurrences: Counter[str]) -> FlowRows:
    """One job line: its schedule, user and command, or an error naming the line."""
    fields = line.split(None, words + (1 if system else 0))
    schedule, rest = fields[:words], fields[words:]
    if words == 5 and len(fields) >= 3 and fields[0].isdigit() and fields[1].isdigit() \
            and ANACRON_ID.fullmatch(fields[2]):
        # anacrontab(5) with a period in days: the job identifier stands where the day of the month is
        return _invalid(number, _anacron(line, f"{fields[0]} days", fields[1], fields[2]))
    if len(schedule) < words:
        return _invalid(number, f"{line!r} has fewer than {words} time fields")
    if system:
        if not rest:
            return _invalid(number, f"{line!r} has no user and no command")
        owner, rest = rest[0], rest[1:]
        if not USER_NAME.match(owner):
            return _invalid(number, f"{owner!r} stands where a system crontab has its user column, and cannot be a "
                                    "user name (letters, digits, _ . -, not starting with -, an optional final $): "
                                    "this looks like a user crontab, whose jobs have no user column; set "
                                    "options = { system = false }")
    # anacrontab(5): period (days, or @monthly), delay in minutes, job identifier, command. Read as a
    # crontab the delay and the identifier became the command's first words, a command that cannot
    # run; or, after a period in days, the identifier stood where the day of the month is.
    if words == 1 and rest and (anacron := ANACRON_JOB.match(rest[0])):
        return _invalid(number, _anacron(line, schedule[0], anacron[1], anacron[2]))
    command, stdin = split_percent(rest[0] if rest else "")
    command = command.strip()
    if not command:
        return _invalid(number, f"{line!r} has no command" + (" (only standard input after %)" if stdin else ""))
    seen = f"{owner}:{command}"
    occurrences[seen] += 1
    key = job_key(owner, command, occurrences[seen])
    flow = FlowRows(key=key, name=job_name(command, key), schedule=" ".join(schedule), line=number)
    flow.cells["owners"] = owner
    if system:
        flow.warn("RUN_AS", f"line {number}: the job ran as user {owner!r} (the user column); the flow runs as the "
                            "service's doAs account instead")
    if not system and (user := _user_column(command)):
        flow.warn("USER_COLUMN", f"line {number}: the command starts with {user!r}, a system account: if this is "
                                 "/etc/crontab or a file of /etc/cron.d, set options = { system = true } (a user "
                                 f"column), else the flow runs {user!r} as a command")
    flow.tasks = [{"task_id": "1", "task_name": flow.name, "command": command}]
    if stdin is not None:
        # Not quoted: a job's input is where cron idioms put a password (`sudo -S cmd %secret%`).
        lines = stdin.count("\n") + (not stdin.endswith("\n"))
        flow.warn("PERCENT_STDIN", f"line {number}: the text after the first unescaped % was the job's input "
                                   f"({len(stdin)} characters, {lines} line{'s' if lines != 1 else ''}; not shown, as "
                                   "it may hold a password): a task has none, so it is not carried; write it into the "
                                   "command by hand if the job needs it")
    return flow


# Environment lines that change how cron runs a command, not only what the command sees (man 5
# crontab: SHELL, PATH; bash reads BASH_ENV before a non-interactive command).
CRON_SHAPES_THE_JOB = ("SHELL", "PATH", "BASH_ENV", "ENV", "HOME")


@functools.lru_cache(maxsize=64)  # the environment changes a few times a file, not a job
def _parameters_text(environment: tuple[tuple[str, str], ...]) -> str:
    return parameters_text([{"key": k, "value": v} for k, v in environment])


def _environment_facts(flow: FlowRows, environment: dict[str, str], cron_tz: bool) -> None:
    """What the environment lines above a job mean for its flow: parameters, zone, alerts."""
    flow.cells["params"] = _parameters_text(tuple(environment.items()))
    zone = environment.get("CRON_TZ", "")
    if zone and cron_tz:
        flow.cells["timezone"] = zone
    elif zone:
        flow.warn("CRON_TZ_IGNORED", f"CRON_TZ={zone} is ignored by this cron (cron_tz = false): the job fired on the "
                                     "host's clock; set [mapping] source_timezone to the host's zone")
    else:  # as the systemd profile's: the zone is assumed, so it is said (moot once source_timezone names it)
        flow.warn("HOST_TIMEZONE", "no CRON_TZ above the job: cron fired it on the host's clock (its /etc/localtime), "
                                   "which the export does not say; set [mapping] source_timezone to that zone, else "
                                   "the schedule is taken to be in the service's zone")
    if "TZ" in environment:
        flow.warn("TZ_ENVIRONMENT", f"TZ={environment['TZ']} was the command's environment (kept as a parameter); "
                                    "cronie and Debian's cron fire on the host's clock (CRON_TZ, where honoured, "
                                    "names the schedule's zone), so the schedule is not taken to be in that zone")
    if recipients := environment.get("MAILTO", "").strip():
        flow.cells["alert"] = "1"
        flow.warn("ALERT_RECIPIENTS", f"cron mailed the job's output to {recipients} (MAILTO); the flow's e-mail "
                                      "alerts go to its owners on the service, not to that address")
    shaping = {name: environment[name] for name in CRON_SHAPES_THE_JOB if name in environment}
    if shaping:
        said = ", ".join(f"{name}={value}" for name, value in shaping.items())
        flow.warn("CRON_ENVIRONMENT", f"{said} set how cron ran the command (its shell, where it found programs, "
                                      "what bash read first): carried as parameters only; the service's worker runs "
                                      "the task with its own shell and PATH")
    secrets = [name for name, value in environment.items() if SECRET_NAME.held(name, value)]
    if secrets:
        flow.warn("ENVIRONMENT_SECRET", f"{look_like_secrets(secrets)}: carried as flow parameters, which "
                                        "every owner and visitor of the flow can read (and a result log with "
                                        "log_payload); move them to the service's own secret store")


# Six hex digits tell a few thousand jobs of one program apart, not always: a job whose name meets
# an earlier job's of another key (1 in 20,000 jobs of five programs) takes this many instead.
LONG_NAME_DIGITS = 12


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    """The jobs' flows; a job whose name (six digits of its key) an earlier job of another key
    holds is named by more of its key, so that it is not refused as that job's duplicate. The
    earlier keeps its name (its flow, made by an earlier run, stays as it is)."""
    keys: dict[str, str] = {}
    for flow in _parsed(settings):
        if not flow.errors and keys.setdefault(flow.name, flow.key) != flow.key:
            command = flow.tasks[0]["command"] if flow.tasks else ""
            flow.name = job_name(command, flow.key, LONG_NAME_DIGITS)
            flow.tasks = [{**task, "task_name": flow.name} for task in flow.tasks]
        yield flow


def _parsed(settings: SourceSettings) -> Iterator[FlowRows]:
    """The file's flows; with `system` not said, refused when most of its first job lines begin
    with a system account (USER_COLUMN: `root cd / && run-parts …`): that is a system crontab's
    user column (an /etc/crontab has a few `root` lines and some other user's), and each flow's
    command would begin with a user name, a command that cannot run. One such line among commands
    is said on its own (USER_COLUMN): `backup /data` may be a command named so."""
    if "system" in settings.options:
        yield from _lines_read(settings)
        return
    waiting: list[FlowRows] = []  # until JUDGED_JOB_LINES job lines say what the file is
    jobs, users = 0, []
    decided = False
    for flow in _lines_read(settings):
        if decided:
            yield flow
            continue
        waiting.append(flow)
        if not flow.errors and flow.tasks:
            jobs += 1
            if (user := _user_column(flow.tasks[0]["command"])) is not None:
                users.append(user)
            if jobs >= JUDGED_JOB_LINES:
                _judge(settings, jobs, users)
                decided = True
                yield from waiting
                waiting.clear()
    if not decided:
        _judge(settings, jobs, users)
    yield from waiting


JUDGED_JOB_LINES = 20  # the first job lines that say whether a file has a user column


def _judge(settings: SourceSettings, jobs: int, users: list[str]) -> None:
    if users and 2 * len(users) > jobs:
        accounts = ", ".join(dict.fromkeys(users))
        found = (f"{settings.path}: {len(users)} of the first {jobs} job lines begin with a system account "
                 f"({accounts}), as in /etc/crontab and the files of /etc/cron.d, which have a user column: ")
        raise OptionNeeded(
            found + "set [source] options = { system = true }; if these are commands, set options = "
                    "{ system = false }",
            # A folder takes its options by format (a bare `system` is refused there), for every crontab in it.
            found + "set [source] options = { \"crontab.system\" = true } (false if these are commands). The option "
                    "is for every crontab of the folder: a user crontab (no user column) and a system crontab need "
                    "two configs, or two folders")


def _unterminated(path: Path) -> bool:
    """Whether the file's last line has no line end: crontab(1) refuses to install such a file
    ("missing newline before EOF") and `crontab -l` always ends with one, so its last job was cut
    short (a copy interrupted, a paste cut off): `/opt/backup.sh` read as `/opt/bac`."""
    with path.open("rb") as raw:
        raw.seek(0, 2)
        size = raw.tell()
        raw.seek(max(0, size - 2))
        tail = raw.read()
    return bool(tail) and not tail.rstrip(b"\x00").endswith((b"\n", b"\r"))


def _with_last(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str, bool]]:
    """The lines, each with whether it is the file's last."""
    previous: tuple[int, str] | None = None
    for line in lines:
        if previous is not None:
            yield (*previous, False)
        previous = line
    if previous is not None:
        yield (*previous, True)


CUT_SHORT = ("the file ends in the middle of this line (no line end after it), as a copy cut short does: crontab(1) "
             "installs no such file and `crontab -l` writes none, so its command may be missing its end; check it "
             "against the crontab and end the file with a line end")


def _lines_read(settings: SourceSettings) -> Iterator[FlowRows]:
    system, default_user, cron_tz = _options(settings)
    unterminated = _unterminated(settings.path)
    environment: dict[str, str] = {}
    occurrences: Counter[str] = Counter()
    recognised = False
    # Lines that are not jobs, held until the first job line proves the file is a crontab.
    held: list[FlowRows] = []
    first_unrecognised = ""
    expected = EXPECTED.format(user="a user and " if system else "")
    # A line that says a user's crontab begins (or is none) there, after a job or an environment
    # line: another crontab follows one already read (its own marker and header above its first line
    # are one crontab's).
    first_content = ""
    for number, raw, last in _with_last(_lines(settings)):
        line = raw.strip()
        # `CRON_TZ=` (a zone reset to the host's) is a NAME=value line, not a name framed by `=`.
        marker = JOINED_CRONTAB.match(line) is not None or (
            USER_HEADER.fullmatch(line) is not None and ENVIRONMENT.match(line) is None)
        if first_content and marker:
            raise SourceError(f"{settings.path}: this looks like several crontabs joined in one file (line {number}: "
                              f"{shown(line, 60)}, after {first_content}): the environment lines of one (MAILTO, "
                              "CRON_TZ, PATH …) would apply to the next one's jobs, and every job would be one user's; "
                              "save each crontab as a file of its own in a folder, which is read file by file")
        if not line or line.startswith("#"):
            continue
        after_content = bool(first_content)  # a job or environment line came before this one
        first_content = first_content or ("" if marker else f"line {number}: {shown(line, 40)}")
        if match := ENVIRONMENT.match(line):
            environment[match[1]] = environment_value(match[2])
            continue
        quiet = line.startswith("-") and _schedule_words(line[1:]) is not None  # cronie: not logged to syslog
        line = line[1:] if quiet else line
        words = _schedule_words(line)
        if words is None:
            flow = _invalid(number, f"{shown(line, 200)} is not a job line: {expected}" + (
                JOINED_HINT if after_content and WORDS_LINE.match(line) else ""))
            if recognised:
                yield flow
            else:
                held.append(flow)
                first_unrecognised = first_unrecognised or f"line {number}: {shown(line)}"
                if len(held) >= UNRECOGNISED_BEFORE_REFUSAL:
                    break
            continue
        if not recognised:
            recognised = True
            yield from held
            held.clear()
        flow = _job(number, line, words, system, default_user, occurrences)
        ok = not flow.errors  # before cronie's marks: a random time is the flow's one fault, named alone
        _cronie_marks(flow, number, line.split(None, words)[:words], quiet)
        if ok:
            _environment_facts(flow, environment, cron_tz)
            if system and not CRON_D_NAME.fullmatch(settings.path.name):
                flow.warn("CRON_D_NAME", f"the file's name {settings.path.name!r} holds other than letters, digits, "
                                         "`_` and `-`: if it was a file of /etc/cron.d, Debian's and Ubuntu's cron "
                                         "skipped it (cronie reads it), and this job never ran there; check which "
                                         "cron ran it")
            flow.cells.update(active="1", desc=f"crontab: {_without_input(line)}"[:500])  # no line number: it moves
        if last and unterminated:
            flow.fail("TRUNCATED", f"line {number}: {CUT_SHORT}")
        yield flow
    if not recognised:
        found = f"found {first_unrecognised} and no job line" if first_unrecognised else "found no job line"
        raise SourceError(f"{settings.path}: this does not look like a crontab export "
                          f"({expected}; {found})")


JOINED_HINT = ("; if this line begins another user's crontab (several joined in one file), the environment lines "
               "above it (MAILTO, CRON_TZ, PATH …) apply here to the jobs below it: save each crontab as a file of "
               "its own in a folder, which is read file by file")


def _without_input(line: str) -> str:
    """The job line for the flow's description, its standard input (after an unescaped %) left out
    as PERCENT_STDIN leaves it: where cron idioms put a password, every visitor of the flow reads it."""
    before, stdin = split_percent(line)
    return line if stdin is None else f"{before}% (its input, not shown)"


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("crontab", "unix", read, "crontab files: one flow per job line")
