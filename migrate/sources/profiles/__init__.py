"""Profiles: one known export format each, turned into rows of standard columns that one built-in
mapping carries into Save Flow payloads, so the common case needs no hand-written mapping.

Standard columns: flow (the source key), flow_name, schedule (in the profile's dialect), start
(an interval's anchor), start_date, owners, active, desc, params, task_id, task_name, upstream,
command, x, y, and `__warnings__` / `__errors__` (JSON lists of {code, message}) for what the
profile noticed: an error makes the flow invalid, a warning rides along in its result line.

Three more carry facts the old scheduler had and a flow must keep or report:
- `timezone`: the IANA zone the source's schedule fired in ("" when the export names none); the
  mapping shifts the schedule into `[target] timezone` exactly, or refuses it.
- `unscheduled`: non-empty when the source job has no time schedule (run by hand, triggered by
  data); the text says what triggered it. `[mapping] unscheduled = "manual"` saves a manual flow.
- `flow_upstream`: a JSON list of the other flows this one waits on, each
  `{"flowId": EnOS id, "flowName": name, "cycleGap": "D0", "targets": [task ids]}`: a flow node
  `f_<flowId>` with a relation to each target task (to every root task when `targets` is empty).
- `next_fire`: an instant (ISO, with its offset) at which the export says the schedule fires
  (Airflow's `next_dagrun`): the converted schedule must fire then too, in the service's zone, or
  the zone assumed for it is wrong and the flow is refused.
- `source_schedule`, `source_grammar`: a profile that converts its own grammar to Quartz gives the
  source text (as the export writes it) and its grammar (`robfig`, `eventbridge`, `systemd`,
  `azkaban`, `rundeck`, …), and `start` the anchor of an interval: the mapping proves the freq
  against it (schedule/proof.py), or says `unchecked` where no independent evaluator reads it.
- `links`: a JSON object `{"relations": [...], "flows": [...]}` taken as it is, in place of the
  relations and flow nodes built from `upstream` and `flow_upstream`: a snapshot's exact edges
  (each with its own cycleGap and rerun) and flow nodes (positions, isVirtual).
- `task_settings` (a task's row): a JSON object, the task's settings as Export Flow gave them
  (type, resource, runMode, timeout, retries…; its body is `command`), which Import sends as they
  were rather than a COMMAND task of default settings (a snapshot's tasks).
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from migrate.config import MappingSettings, SourceSettings
from migrate.sources.readers import SourceRow

# A URL's scheme from its word's start only (leading digits or dots skipped, as the leftmost match did):
# from every letter of one long word, the search was quadratic (a crontab line of 200,000 letters:
# minutes). A password in a URL (`postgres://etl:s3cret@db/prod`), the password its group, unless it
# names where the secret is (`${DB_PASSWORD}`, `%%PASS`, `{{ secret }}`).
_SCHEME = r"(?<![A-Za-z0-9+.\-])[0-9+.\-]*[A-Za-z][A-Za-z0-9+.\-]*://"
_URL_PASSWORD = re.compile(_SCHEME + r"[^\s/:@]*:((?![$%{])[^\s/@]+)@")
# Oracle's own `user/password@db` (a JDBC thin or OCI URL, sqlplus's and sqlldr's login), which is no URL
_ORACLE_LOGIN = re.compile(r"(?i)(?:\bjdbc:oracle:(?:thin|oci8?):|\b(?:sqlplus|sqlldr|exp|imp|expdp|impdp|rman)"
                           r"(?:\s+-\w+)*\s+(?:target\s+|catalog\s+|userid=)?[\"']?)[^\s/@:'\"]+/[\"']?"
                           r"((?![$%{])[^\s/@'\"]+)[\"']?@")


# A parameter or variable whose name says it holds a secret (DB_PASSWORD, API_TOKEN): every profile
# that carries one names it (ENVIRONMENT_SECRET, SECRET_PARAMETER), since owners and visitors read them.
class _SecretName:
    """`SECRET_NAME.search(name)`: the name, read as the eye reads it (NFKC: full-width letters as
    letters), holds a word for a secret: as a word of its own (`db_password`, `apiKey`, `PAT`), not
    inside another (`keyspace`, `monkey`, `passport`, `tokenizer`), or one of the long words that
    say it wherever they stand (`dbpassword`), in English or another language a migration meets."""

    WORDS = frozenset({"password", "passwords", "passwd", "pass", "pwd", "secret", "secrets", "token", "credential",
                       "credentials", "key", "apikey", "keytab", "passphrase", "bearer", "authorization", "auth",
                       "webhook", "pat", "kennwort", "passwort", "geheim", "contraseña", "contrasena", "clave",
                       "senha", "motdepasse"})
    INSIDE = re.compile(r"password|passwd|passphrase|credential|apikey|secretkey|accesskey|privatekey|authorization"
                        r"|mot.?de.?passe|(?:client|app|api|access|auth|refresh|session|bearer)(?:secret|token)"
                        r"|(?:db|ssh|ldap|smtp|mysql|pg|redis|ftp|admin|root)pass|webhook|passwort|kennwort|contrase|senha|密码|密碼|口令|密钥|密鑰|秘密|令牌|パスワード|トークン"
                        r"|비밀번호|암호", re.IGNORECASE)
    NAME_WORDS = re.compile(r"[A-Z]?[a-zà-ÿ]+|[A-Z]+(?![a-z])|\d+")

    # A URL with a password in it (`postgres://etl:s3cret@db/prod`, `redis://:s3cret@cache`), or a
    # query parameter whose name says it holds a secret (`?user=etl&password=s3cret`, `?client_secret=…`,
    # `?api-key=…`: the same rule as a parameter's name); not one naming where the secret is
    # (`${DB_PASSWORD}`, `%%PASS`, `{{ secret }}`).
    URL_PASSWORD = _URL_PASSWORD
    URL_QUERY = re.compile(_SCHEME + r"[^\s?#]*\?([^\s#]*)")
    QUERY_PAIR = re.compile(r"([^=&;]+)=([^&;]*)")

    def held(self, name: str, value: str) -> bool:
        """Whether the parameter holds a secret: by its name, or in a URL (a password, or a query
        parameter named as a secret, with a value)."""
        if self.search(name) or self.URL_PASSWORD.search(value) is not None or _ORACLE_LOGIN.search(value):
            return True
        return any(secret and secret[0] not in "$%{" and self.search(key)
                   for query in self.URL_QUERY.findall(value) for key, secret in self.QUERY_PAIR.findall(query))

    def search(self, name: str) -> bool:
        read = unicodedata.normalize("NFKC", name)
        if read == "PWD":  # the shell's working directory, not a password (`pwd`, `db_pwd` are)
            return False
        return self.INSIDE.search(read) is not None or any(
            word.lower() in self.WORDS for word in self.NAME_WORDS.findall(read))


SECRET_NAME = _SecretName()

# What in a command line holds a secret, by its shape, each with the secret's value as group 1 (or,
# for an assignment, group 2): an assignment before the program (`PGPASSWORD=s3cr3t pg_dump`), a URL
# with a password, curl's `-u user:password`, a password option (`--password=…`, `--db-password …`,
# PowerShell's `-Password …`), `sshpass -p`, MySQL's `-p…`, `redis-cli -a`, `sqlcmd -P`, an
# Authorization header, a connection string's `Password=…;`. A reference is none: `$VAR`, `${VAR}`,
# `$(…)`, Control-M's `%%VAR`, Windows' `%VAR%`, Rundeck's `@option.x@`.
_NOT_A_REFERENCE = r"(?![\"']?[$%@`])"
_VALUE = r"(\"[^\"]*\"|'[^']*'|[^\s;&|]+)"
_ASSIGNED = re.compile(r"(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_][\w.]*)=" + _NOT_A_REFERENCE + _VALUE)
_MYSQL = re.compile(r"\b(?:mysql\w*|mariadb\w*)\b")
# net use's password word: quoted whole (`"two words"`), or a word that is no option (`/persistent:no`),
# prompt (`*`), redirection (`2>&1`) nor the shell's (`&&`, `;`)
_NET_USE_PASSWORD = (r"(?![/*]\s|[/&|;<>]|\*$|\d*[<>])" + _NOT_A_REFERENCE
                     + r"((?:\"[^\"]*(?:\"|$)|'[^']*(?:'|$)|\^.|[^\s\"'&|;<>^])+)")
# `/user:NAME` before it, NAME quoted where it holds a blank (`/user:"dom\alice smith"`)
_NET_USE_USER = r"/u(?:ser)?:(?:\"[^\"]*\"|[^\s;&|\"])+\s+"
_COMMAND_SECRETS = (
    (_URL_PASSWORD, "a password in a URL"),
    (_ORACLE_LOGIN, "an Oracle user/password@ login"),
    (re.compile(r"\bcurl\b[^|;&\n]*?\s(?:-u|--user)[\s=]*" + _NOT_A_REFERENCE + r"[^\s:]+:" + _NOT_A_REFERENCE
                + r"([^\s'\"]+)"), "curl's -u user:password"),
    (re.compile(r"(?:^|\s)--?[\w-]*(?:password|passwd|token|secret|api-?key|access-?key)(=|\s+)" + _NOT_A_REFERENCE
                + _VALUE, re.IGNORECASE), "a password option"),
    (re.compile(r"(?i)(?:^|\s)/(?:password|pwd|p):" + _NOT_A_REFERENCE + r"([^\s\"]+)"), "a /password: option"),
    # net use [device] \\host\share [password] [/user:name] [password]: the word after the share,
    # or after /user:, that is no option nor `*` (a prompt); `net.exe` as a task's program is written
    (re.compile(r"(?i)\bnet(?:\.exe)?[\"']?\s+use\b[^|&\n]*?" + _NET_USE_USER + _NET_USE_PASSWORD),
     "net use's password"),
    (re.compile(r"(?i)\bnet(?:\.exe)?[\"']?\s+use\s+(?:(?:[a-z]:|\*)\s+)?\\\\\S+\s+" + _NET_USE_PASSWORD),
     "net use's password"),
    (re.compile(r"(?i)\b(?:x-)?api-?key\s*:\s*" + _NOT_A_REFERENCE + r"([^\s'\"]+)"), "an API key header"),
    (re.compile(r"\bsshpass\s+-p\s*" + _NOT_A_REFERENCE + _VALUE), "sshpass -p"),
    (re.compile(r"\b(?:mysql\w*|mariadb\w*)\b[^|;&\n]*\s-p" + _NOT_A_REFERENCE + r"([^\s;&|]+)"),
     "a MySQL -p password"),
    (re.compile(r"\bredis-cli\b[^|;&\n]*\s-a\s+" + _NOT_A_REFERENCE + _VALUE), "redis-cli -a"),
    # a webhook whose URL is its secret (Slack's `services/T…/B…/secret`, Discord's `webhooks/id/token`)
    (re.compile(r"(?i)\bhooks\.slack\.com/(?:services|workflows|triggers)/(\S+?)(?=[\s'\"]|$)"),
     "a Slack webhook URL"),
    (re.compile(r"(?i)\bdiscord(?:app)?\.com/api/webhooks/(\S+?)(?=[\s'\"]|$)"), "a Discord webhook URL"),
    (re.compile(r"\blftp\b[^|;&\n]*\s-u\s+[\"']?[^\s,\"']+," + _NOT_A_REFERENCE + r"([^\s'\"]+)"),
     "lftp's -u user,password"),
    (re.compile(r"\b(?:sqlcmd|bcp|osql)\b[^|;&\n]*\s-P\s*" + _NOT_A_REFERENCE + _VALUE), "sqlcmd -P"),
    (re.compile(r"(?i)authorization[^:=\n]{0,20}[:=]\s*(?:bearer|basic|token)\s+" + _NOT_A_REFERENCE
                + r"([^\s'\"]+)"), "an Authorization header"),
    (re.compile(r"(?i)(?:^|[;\s\"'])(?:password|pwd)=" + _NOT_A_REFERENCE + r"([^;'\"\s]+)"),
     "a connection string's password"),
)


# A JSON member whose name says it holds a secret, by the parameters' rule (`"db_password": "…"`,
# `"clientSecret": "…"`, a Lambda payload or a target's Input), quotes escaped or not.
_JSON_MEMBER = re.compile(r'"([^"\\]{1,80})"\s*:\s*"' + _NOT_A_REFERENCE + r'((?:[^"\\]|\\.)+)"')
# The same written inside a shell's double quotes, each quote escaped: `"{\"db_password\": \"…\"}"`.
_ESCAPED_JSON_MEMBER = re.compile(r'\\"([^"\\]{1,80})\\"\s*:\s*\\"' + _NOT_A_REFERENCE + r'((?:[^"\\]|\\[^"])+)\\"')


def _a_path(value: str) -> bool:
    """`TOKEN_FILE=/etc/tok`: where a secret is, not the secret."""
    return value.strip("\"'").startswith(("/", "./", "../", "~/"))


# What every shape above needs somewhere in the command: most commands have none of it, and are
# passed by this one search (a plan reads every task's command).
_SUSPECT = re.compile(r"(?:^|[\s;&|(])[A-Za-z_][\w.]*=|://|\s--?[upaP]|uthorization|pass|pwd|token|secret|key"
                      r"|/(?:user|u|p|pwd):|/[^\s/@]+@", re.IGNORECASE)


# Query parameters that sign a URL (Azure's SAS `sig`, S3's presigned `X-Amz-Signature`): whoever holds
# the URL holds the access, whatever the name says.
URL_SIGNATURES = frozenset({"sig", "signature", "x-amz-signature", "x-goog-signature"})


def command_secrets(command: str) -> list[tuple[str, str]]:
    """(what, its value) for each secret written into a command (the value, to withhold it from
    every message that would quote the command)."""
    if not _SUSPECT.search(command):
        return []
    found = [(f"{name}=", value) for name, value in _ASSIGNED.findall(command)
             if SECRET_NAME.held(name, value.strip("\"'")) and not _a_path(value)]
    for pattern, what in _COMMAND_SECRETS:
        for match in pattern.finditer(command):
            value = match.group(match.lastindex or 1)
            if what == "a password option" and match.group(1) != "=" and _MYSQL.search(command):
                continue  # MySQL's `--password db`: a prompt, then the database
            if not _a_path(value) and value.strip("\"'"):
                found.append((what, value))
    found += [("a secret in JSON", value) for pattern in (_JSON_MEMBER, _ESCAPED_JSON_MEMBER)
              for name, value in pattern.findall(command) if SECRET_NAME.search(name) and not _a_path(value)]
    # A URL's query parameter named as a secret (`curl 'https://h/hook?apikey=…'`), as a parameter's
    # value is read (SECRET_NAME.held)
    known = {value.strip("\"'") for _, value in found}
    found += [(f"a URL's {key}=", secret.strip("\"'")) for query in SECRET_NAME.URL_QUERY.findall(command)
              for key, secret in SECRET_NAME.QUERY_PAIR.findall(query)
              if secret.strip("\"'") and secret[0] not in "$%{"
              and (SECRET_NAME.search(key) or key.lower() in URL_SIGNATURES) and secret.strip("\"'") not in known]
    # A value cut at a quote that closes the word it sits in (`'https://h/x?token=T0K'`) is masked
    # without the quote, which stays where it was.
    return [(what, value[:-1] if value[-1:] in "'\"" and value[:1] != value[-1:] else value) for what, value in found]


# A secret shorter than this is left in the messages that quote it (named all the same): masked, `etl`
# or `root` hid every job, user and address of the same name, and no message made sense.
MASKED_LENGTH = 6


def withholding(values: Iterable[str]) -> Callable[[str], str]:
    """A function that withholds these secrets from a text (`[not shown]`), the longest first, so
    that one inside another is not half shown; those shorter than MASKED_LENGTH are left. A value
    with a `%` is withheld as a crontab line writes it too (`\\%`: a signed URL's `%2B`), since a
    crontab's description quotes the line, the command read from it."""
    kept = {value for value in values if len(value.strip("\"'")) >= MASKED_LENGTH}
    masked = sorted(kept | {value.replace("%", "\\%") for value in kept if "%" in value}, key=len, reverse=True)

    def withheld(text: str) -> str:
        for value in masked:
            text = text.replace(value, "[not shown]")
        return text

    return withheld


STANDARD_COLUMNS = ("flow", "flow_id", "flow_name", "schedule", "start", "start_date", "owners", "active", "alert",
                    "desc", "params", "task_id", "task_name", "upstream", "command", "x", "y", "timezone",
                    "unscheduled", "flow_upstream", "next_fire", "links", "source_schedule", "source_grammar",
                    "task_settings", "source_end", "source_end_logical", "source_start", "__warnings__", "__errors__")


@dataclass(slots=True)
class FlowRows:
    """What a profile found for one flow, before it becomes rows."""

    key: str
    name: str
    schedule: str = ""
    tasks: list[dict[str, str]] = field(default_factory=list)  # task_id, task_name, upstream, command, x, y
    cells: dict[str, str] = field(default_factory=dict)  # other standard columns
    warnings: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    # A format of lines (a crontab): the flow's line in its file, from which its rows are numbered,
    # so that "row 6" in a plan is the line the user looks for (0: numbered after the flow before).
    line: int = 0

    def warn(self, code: str, message: str) -> None:
        self.warnings.append({"code": code, "message": message})

    def fail(self, code: str, message: str) -> None:
        self.errors.append({"code": code, "message": message})

    def unscheduled(self, reason: str) -> None:
        """The job has no time schedule: saved as a manual flow only when the user opts in."""
        self.schedule = ""
        self.cells["unscheduled"] = reason


def parameters_text(pairs: list[dict[str, str]]) -> str:
    """Flow parameters as the documented JSON string (`[{"key": …, "value": …}]`); none: blank."""
    return orjson.dumps(pairs).decode() if pairs else ""


def look_like_secrets(names: list[str]) -> str:
    """`db_password looks like a secret`, `a, b look like secrets`."""
    return f"{', '.join(names)} {'looks like a secret' if len(names) == 1 else 'look like secrets'}"


def warn_secret_parameters(flow: FlowRows, pairs: list[dict[str, str]]) -> None:
    """SECRET_PARAMETER for the carried parameters whose names say they hold a secret and that have
    a value: every owner and visitor of the flow can read its parameters."""
    secrets = [pair["key"] for pair in pairs if pair["value"] and SECRET_NAME.held(pair["key"], pair["value"])]
    if secrets:
        flow.warn("SECRET_PARAMETER", f"{look_like_secrets(secrets)}: carried as flow parameters, which "
                                      "every owner and visitor of the flow can read; move them to the service's "
                                      "own secret store")


def flow_rows(flow: FlowRows, first_number: int) -> list[SourceRow]:
    """One row per task (at least one row). A standard column left out is blank: the mapping reads
    every cell with a default, and rows cross to the mapping processes by the thousand, where
    two dozen blank cells a row cost more to build and pickle than the rest of the row."""
    tasks = flow.tasks or [{}]
    shared = {**flow.cells, "flow": flow.key, "flow_name": flow.name, "schedule": flow.schedule}
    rows = []
    for offset, task in enumerate(tasks):
        cells = {**shared, **{k: str(v) for k, v in task.items()}} if task else dict(shared)
        if offset == 0:  # what the profile noticed rides on the flow's first row
            if flow.warnings:
                cells["__warnings__"] = orjson.dumps(flow.warnings).decode()
            if flow.errors:
                cells["__errors__"] = orjson.dumps(flow.errors).decode()
        rows.append(SourceRow(first_number + offset, cells))
    return rows


class RowNumbers:
    """Row numbers given flow by flow, in input order, and the first row of each key: a key that
    comes again (two CronJobs of one namespace and name, two Control-M folders of one name) is
    refused as DUPLICATE (`duplicate`)."""

    def __init__(self) -> None:
        self.next = 1
        self.first_row: dict[str, int] = {}

    def place(self, key: str, count: int, line: int = 0) -> tuple[int, int | None]:
        """The first row number of a flow of `count` rows (from its `line`, if it has one: never
        back, so row numbers stay unique and in input order), and the first row of an earlier flow
        of the same key (None: this is the first)."""
        self.next = max(self.next, line)
        number, earlier = self.next, self.first_row.get(key)
        if earlier is None:
            self.first_row[key] = number
        self.next += count
        return number, earlier


# What to do about a key that comes again, unless its format says otherwise (`rows_of`'s `again`).
TWO_JOBS = "if they are two jobs, rename one"


def duplicate(flow: FlowRows, earlier: int, number: int, again: str = TWO_JOBS) -> None:
    """Refuse a flow whose key an earlier flow (first at row `earlier`) has, and keep it apart:
    flows are grouped by key, and the two would otherwise become one flow holding both jobs' tasks."""
    if not any(error["code"].startswith("DUPLICATE") for error in flow.errors):
        flow.fail("DUPLICATE", f"duplicate: {flow.key!r} already comes from row {earlier}; not "
                               f"saved twice ({again})")
    flow.key = f"{flow.key} (again at row {number})"


def rows_of(flows: Iterator[FlowRows], again: str = TWO_JOBS) -> Iterator[SourceRow]:
    """The flows' rows, numbered; a key that comes again is refused as DUPLICATE (RowNumbers),
    `again` saying what to do about it."""
    numbers = RowNumbers()
    for flow in flows:
        number, earlier = numbers.place(flow.key, len(flow.tasks) or 1, flow.line)
        if earlier is not None:
            duplicate(flow, earlier, number, again)
        yield from flow_rows(flow, number)


class DeferredRows(ABC):
    """The rows of one or more flows, numbered in input order where the source is read, but made
    where they are mapped (a plan's worker processes): reading the source there costs the process
    that reads it little more than finding where each flow is. `count` rows from row `number`."""

    number: int
    count: int

    @abstractmethod
    def rows(self) -> list[SourceRow]:
        """Its rows, `count` of them, numbered from `number`."""


Row = SourceRow | DeferredRows


def rows_in(items: list[Row]) -> int:
    """How many rows the items are, deferred ones expanded."""
    return sum(item.count if isinstance(item, DeferredRows) else 1 for item in items)


def expanded_rows(items: Iterable[Row]) -> Iterator[SourceRow]:
    """The rows, deferred ones made (where the mapping runs)."""
    for item in items:
        if isinstance(item, DeferredRows):
            yield from item.rows()
        else:
            yield item


@dataclass(frozen=True)
class Profile:
    name: str
    dialect: str
    read: Callable[[SourceSettings], Iterator[SourceRow]]
    summary: str
    # Fields the profile's columns carry beyond the standard mapping's (the user's still win), and
    # whether flows get identity markers: a snapshot carries its desc, markers included, as it is.
    fields: dict[str, str] = field(default_factory=dict)
    identity_marker: bool = True
    # False: the profile takes no options, and any given is refused (check_options) rather than
    # ignored; a profile that takes some checks its own.
    takes_options: bool = True
    # Rows some of which may be deferred (made by the plan's workers, DeferredRows), for `migrate
    # plan` and `run`; `read` (plain rows) serves a folder of several formats and the tests.
    read_deferred: Callable[[SourceSettings], Iterator[Row]] | None = None


def check_options(profile: Profile, source: SourceSettings) -> None:
    """An option given to a profile that takes none is a mistake to say, not to ignore."""
    from migrate.sources.readers import SourceError

    if source.options and not profile.takes_options:
        raise SourceError(f"{source.path}: the {profile.name} profile takes no options (given: "
                          f"{', '.join(sorted(source.options))})")


def standard_mapping(dialect: str, user: MappingSettings, profile: Profile | None = None) -> MappingSettings:
    """The built-in mapping of the standard columns; the user's own fields win. The legacy
    owners (column `owners`) are not mapped by default: they are rarely EnOS user names, and a
    flow whose owners leave out the user running the migration could not be saved by it again."""
    fields: dict[str, Any] = {
        "id": "flow_id", "name": "flow_name", "freq": "schedule", "active": "active",
        "desc": "desc", "parameters": "params", "startTime": "start_date", "alertMode": "alert",
    }
    fields.update(profile.fields if profile is not None else {})
    fields.update(user.fields)
    # Every other setting of the user's [mapping] as given (a setting added later is carried too).
    return MappingSettings.model_validate({
        **user.model_dump(),
        "fields": fields,
        "flow_key": user.flow_key or ["flow"],
        "contiguous_groups": not user.flow_key,
        "tasks": user.tasks.model_dump() if user.tasks else {
            "task_id": "task_id", "task_name": "task_name", "upstream": "upstream", "x": "x", "y": "y",
            "command": "command"},
        "schedule_dialect": dialect,
        "schedule_start": user.schedule_start or "start",
        "schedule_timezone": user.schedule_timezone or "timezone",
        "identity_marker": user.identity_marker if profile is None or profile.identity_marker else "off",
    })


# Each profile's name and its module, which holds its PROFILE (one line each: profiles are added
# side by side). A plan imports only its own profile's module (mapping/pipeline.py).
PROFILE_MODULES: dict[str, str] = {
    "crontab": "crontab",
    "airflow": "airflow",
    "dolphinscheduler": "dolphinscheduler",
    "rundeck": "rundeck",
    "schtasks": "schtasks",
    "enos-v2": "enos_v2",
    "snapshot": "snapshot",
    "systemd": "systemd",
    "taskxml": "taskxml",
    "controlm": "controlm",
    "kubernetes": "kubernetes",
    "eventbridge": "eventbridge",
    "oozie": "oozie",
    "azkaban": "azkaban",
}


def registry() -> dict[str, Profile]:
    import importlib

    profiles = [importlib.import_module(f"migrate.sources.profiles.{module}").PROFILE
                for module in PROFILE_MODULES.values()]
    return {profile.name: profile for profile in profiles}
