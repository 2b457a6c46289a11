"""A run's TOML config -> typed settings. Unknown keys and wrong types are errors naming the key.

Relative paths in a config are read relative to the config file's own folder, so a config
works from any current directory.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
from collections.abc import Iterable
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from migrate.exit_codes import CannotRun
from migrate.redact import remember_configured

SourceFormat = Literal["csv", "tsv", "excel", "json", "jsonl", "parquet"]
SUFFIX_FORMATS: dict[str, SourceFormat] = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "excel", ".xlsm": "excel",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
}
EMBEDDED = "embedded"
# `result_log = "-"`: the result lines on standard output (a log collector reads them there).
# /dev/stdout and its aliases mean the same: opened as a file they would resolve to a pipe's
# non-path, and a second writer on the terminal's descriptor would overwrite the summary.
STDOUT_LOG = "-"
STDOUT_LOG_NAMES = frozenset({"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})
Scalar = str | int | float | bool


class ConfigError(CannotRun):
    """A config that cannot be used; the message names the file and the key."""


class Section(BaseModel):
    # No setting is infinite or NaN: `rate_per_second = inf` or `request_timeout = nan` would
    # reach the pacing and time-out arithmetic (OverflowError), so they are refused by key.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SourceSettings(Section):
    path: Path
    # A known export (crontab, airflow, dolphinscheduler, rundeck, schtasks, enos-v2) read by its
    # own profile with a built-in mapping; "tabular" (or none): a table and [mapping].
    profile: str = "tabular"
    options: dict[str, Scalar] = {}  # the profile's own options, e.g. crontab's system = true
    format: SourceFormat | None = None  # None: from the file's suffix
    encoding: str = "utf-8-sig"  # reads a UTF-8 byte-order mark as nothing
    delimiter: str | None = None
    sheet: str | int = 0
    chunk_rows: Annotated[int, Field(gt=0)] = 10_000
    # The entries of a folder its profile does not read: set by a mixed folder's read for a
    # profile that reads folders (the other formats' exports), not written in a config.
    left_out: tuple[str, ...] = ()

    @field_validator("left_out")
    @classmethod
    def _not_a_setting(cls, left_out: tuple[str, ...]) -> tuple[str, ...]:
        if left_out:
            raise ValueError("is not a setting: a folder of several formats' exports leaves each format's entries "
                             "to its own profile (set profile = \"auto\")")
        return left_out

    def leaves_out(self, path: Path) -> bool:
        """A file or folder under the source folder that belongs to another format's export."""
        return bool(self.left_out) and path.relative_to(self.path).parts[:1] in {(name,) for name in self.left_out}

    @field_validator("encoding")
    @classmethod
    def _text_encoding(cls, encoding: str) -> str:
        try:
            "".encode(encoding)  # LookupError for an unknown name, and for rot13, base64 and other non-text codecs
        except LookupError:
            raise ValueError(f"{encoding!r} is not a text encoding Python knows (such as 'utf-8-sig', 'utf-8', "
                             "'cp1252', 'latin-1')") from None
        return encoding

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, delimiter: str | None) -> str | None:
        if delimiter is not None and (len(delimiter) != 1 or delimiter in '\r\n"'):
            raise ValueError("must be one character, not a quote or a line break (such as ',', ';', '|' or '\\t')")
        return delimiter

    def resolved_format(self) -> SourceFormat:
        if self.format is not None:
            return self.format
        found = SUFFIX_FORMATS.get(self.path.suffix.lower())
        if found is None:
            raise ConfigError(
                f"source.path {str(self.path)!r}: cannot tell the format from the suffix; "
                f"set source.format to one of {sorted(set(SUFFIX_FORMATS.values()))}"
            )
        return found


class FieldRule(Section):
    """How one Save Flow field gets its value: a column, a constant or a template, then a map."""

    column: str | None = None
    const: Scalar | None = None
    template: str | None = None  # "{team}_{job}": columns in braces
    map: dict[str, Scalar] = {}  # source value -> wire value, e.g. daily = "D"

    @model_validator(mode="after")
    def _one_source(self) -> FieldRule:
        given = [k for k in ("column", "const", "template") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of column, const or template")
        return self


MAPPABLE_FIELDS = (
    "id", "type", "name", "freq", "cycle", "alertMode", "doAs", "owners", "visitors",
    "startTime", "active", "parameters", "desc", "queue",
)


def closest_key(unknown: str, known: Iterable[str]) -> str:
    """` did you mean `concurrency`?` for a misspelt key, else the keys there are (a short list):
    a typo is answered with the one key it was meant to be, not with every key of the table."""
    known = list(known)
    close = difflib.get_close_matches(unknown, known, n=1, cutoff=0.6)
    if not close:  # a case slip (`RATE_PER_SECOND`) is as close as a letter swapped
        close = [key for key in known if key.lower() == unknown.lower()][:1]
    return f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(known)}"


def _only_save_flow_fields(names: Iterable[str], where: str = "") -> None:
    """`where`: the place, when the error's own location does not say it already."""
    unknown = sorted(set(names) - set(MAPPABLE_FIELDS))
    if unknown:
        place = f"{where}: " if where else ""
        raise ValueError("; ".join(f"{place}unknown Save Flow field `{name}`: {closest_key(name, MAPPABLE_FIELDS)}"
                                   for name in unknown))


class TaskSettings(Section):
    """Tasks of a flow: from a JSON column, or one row per task (grouped by mapping.flow_key)."""

    json_column: str | None = None
    task_id: str | None = None
    task_name: str | None = None
    upstream: str | None = None  # upstream task ids, separated by ';' or ','
    x: str | None = None
    y: str | None = None
    command: str | None = None  # what the task runs: used when a missing flow is created by import
    rerun: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> TaskSettings:
        if (self.json_column is None) == (self.task_id is None):
            raise ValueError("give either json_column or task_id (one row per task)")
        return self


def known_zone(zone: str | None) -> str | None:
    """An IANA zone name that this machine's zone database knows, or a clear refusal."""
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of the database, "America"
        raise ValueError(f"{zone!r} is not a time zone name (IANA, e.g. 'Asia/Shanghai' or 'UTC')") from None
    return zone


class MappingSettings(Section):
    fields: dict[str, str | FieldRule] = {}
    flow_key: list[str] = []  # columns whose values name one flow across rows
    # The rows of a flow come one after another (profiles write them so): flows stream out as
    # soon as the key changes, instead of after the whole file.
    contiguous_groups: bool = False
    tasks: TaskSettings | None = None
    # The dialect of the value mapped to `freq`: never guessed from the text.
    # "service": a freq the service holds already (the snapshot profile): kept as written
    schedule_dialect: Literal["quartz", "unix", "croniter", "airflow", "iso8601", "service"] = "quartz"
    schedule_start: str | None = None  # column with the start an interval counts from (else startTime)
    # Opt-in: a Vixie schedule restricting both day fields (day-of-month OR day-of-week) becomes
    # two flows, the second saved under the id in this column. Off: such a row is invalid.
    split_id_column: str | None = None
    # The zone the source's schedules fired in: a column (profiles fill "timezone"), else one zone
    # for the whole export (a crontab fires in its host's zone, which the file does not say).
    # Neither: the schedules are taken to be in the target's zone.
    schedule_timezone: str | None = None
    source_timezone: str | None = None
    # A schedule in another zone is shifted only when the shift is exact at every fire time;
    # "approximate" opts in to a shift by the offset of today, with a warning on every such flow.
    timezone_shift: Literal["exact", "approximate"] = "exact"
    # A job with no time schedule (run by hand, triggered by data): refused with the reason, or
    # saved as a manual flow (type 0) with its tasks and relations.
    unscheduled: Literal["refuse", "manual"] = "refuse"
    # The cut-over: no flow starts before this day, whatever start the source gives (a Windows
    # trigger's StartBoundary of 2015, an Airflow DAG's next run tomorrow), so that a flow does not
    # fire beside its job while the old scheduler still runs it. None: the source's start, else
    # [defaults] startTime.
    not_before: date | None = None
    # Each flow's identity marker, `[migrate:<scope>/<digest of its source key>]` at the end of its
    # desc, by which any machine finds the flows a run made (docs/reconcile.md); "off": by name only.
    identity_marker: Literal["desc", "off"] = "desc"
    identity_scope: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")] | None = None  # None: the profile
    # The calling user must be an owner (Save refuses a flow it does not own: 62103): a flow whose
    # owners leave it out is refused (CALLER_NOT_OWNER), or, with true, gets it added.
    add_caller_to_owners: bool = False
    # The proof (schedule/proof.py) compares the source's and the freq's fire times over this many
    # days from the run's day.
    proof_horizon_days: Annotated[int, Field(ge=1, le=3660)] = 730

    @field_validator("source_timezone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        return known_zone(zone)

    @field_validator("not_before", mode="before")
    @classmethod
    def _a_day(cls, value: Any) -> Any:
        """A day, and only a day: pydantic would take a number for seconds since 1970 (`0`, 1970-01-01)
        and a date-time for its date, its offset dropped."""
        if value is None or type(value) is date:
            return value
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
            return value.strip()
        raise ValueError("not a day: write the cut-over as a date, 2026-12-01 (a TOML date, or the string "
                         "\"2026-12-01\"), without a time")

    @model_validator(mode="after")
    def _known_fields(self) -> MappingSettings:
        _only_save_flow_fields(self.fields, "fields")
        if self.not_before is not None and (self.not_before - date.today()).days >= self.proof_horizon_days:
            raise ValueError(f"not_before {self.not_before} is beyond the proofs' horizon ({self.proof_horizon_days} "
                             "days from today, proof_horizon_days): no proof would compare a fire time; raise "
                             "proof_horizon_days, or check the date")
        return self

    def rules(self) -> dict[str, FieldRule]:
        """Every mapped field's rule, a bare column name spelled out as {column = ...}."""
        return {name: FieldRule(column=rule) if isinstance(rule, str) else rule for name, rule in self.fields.items()}


class TargetSettings(Section):
    url: str = EMBEDDED
    user_id: str
    org_id: str
    emulator_config: Path | None = None  # the embedded emulator's users and flows
    emulator_state: Path | None = None  # a SQLite file keeping the embedded emulator's state between runs
    # Key and secret come from MIGRATE_APP_KEY / MIGRATE_APP_SECRET or this file, never from here.
    credentials_file: Path | None = None
    ca_bundle: Path | None = None  # a private gateway's CA certificates; TLS is always verified
    dir_id: str | None = None  # where Import puts created flows (default: the root "Workflow" directory)
    # The zone the service evaluates `freq` in (its Get Timezone action tells). Unset: a source
    # schedule that names its own zone cannot be placed and is refused.
    timezone: str | None = None
    # The calling user's name as owners name it (user_id is its id); unset: the embedded
    # emulator's name for user_id, else flows' owners cannot be checked against the caller.
    user_name: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        return known_zone(zone)

    @model_validator(mode="after")
    def _embedded_needs_state(self) -> TargetSettings:
        if self.url == EMBEDDED and self.emulator_config is None:
            raise ValueError("url = 'embedded' needs emulator_config (its users and flows)")
        if self.url != EMBEDDED and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url {self.url!r} must be 'embedded' or start with http:// or https://")
        return self


class RunSettings(Section):
    concurrency: Annotated[int, Field(ge=1, le=512)] = 16
    rate_per_second: Annotated[float, Field(gt=0)] = 20.0
    # Aim this much below the rate so that network jitter cannot push a one-second window over.
    rate_headroom: Annotated[float, Field(ge=0, lt=0.5)] = 0.01
    attempts: Annotated[int, Field(ge=1, le=50)] = 5
    connect_timeout: Annotated[float, Field(gt=0)] = 5.0
    request_timeout: Annotated[float, Field(gt=0)] = 30.0
    backoff_base: Annotated[float, Field(ge=0)] = 0.5
    backoff_max: Annotated[float, Field(gt=0)] = 30.0
    # The longest Retry-After pause honoured (seconds); a service asking for more (a maintenance
    # page's 86400, `inf`) gets the flow recorded as failed with its message instead of a frozen run.
    retry_after_max: Annotated[float, Field(ge=0)] = 300.0
    # "-" (or /dev/stdout): each line on standard output too, for a log collector; see
    # results/history.py for the copy kept beside the config (resume and in-doubt reads need a file).
    result_log: Path = Path("results/{run_id}.jsonl")
    fsync_every: Annotated[int, Field(ge=0)] = 100  # lines between fsyncs (0: only at the end)
    # Skip flows whose desired state is already there: "log" compares the payload hash with the
    # last `saved` line of earlier result logs, "remote" reads the live flow (Get Flow).
    compare: Literal["none", "log", "remote"] = "none"
    verify: bool = False  # read every saved flow back and compare before recording `saved`
    # A flow mapped without an id is found by name (Get My Flow); when none has that name, create
    # it with Import Flow (true) or record it as failed (false).
    create_missing: bool = False
    run_id: str | None = None
    seed: int | None = None  # jitter's random seed, for repeatable tests
    # Read and map the source in a second process while this one sends: "auto" does so when the
    # machine has more than one core (and can fork).
    mapping_process: Literal["auto", "on", "off"] = "auto"
    log_payload: bool = False  # every result line of a save carries the whole body sent (secrets redacted)
    # Under `run --shard I/N`: "split", each shard sends at rate_per_second / N (they share one
    # application key's quota); "own-key", each shard has its own key and the whole rate.
    shard_rate: Literal["split", "own-key"] = "split"

    @field_validator("run_id")
    @classmethod
    def _run_id_given(cls, run_id: str | None) -> str | None:
        # "" would fall back to a new id each run, silently: a resume of it would find nothing.
        if run_id is not None and not run_id.strip():
            raise ValueError("an empty run id names no run: leave run_id out (a new id each run) or give one")
        return run_id


class Settings(Section):
    source: SourceSettings
    mapping: MappingSettings = MappingSettings()
    defaults: dict[str, Scalar] = {}
    target: TargetSettings
    run: RunSettings = RunSettings()
    config_path: Path = Path("config.toml")

    @field_validator("defaults")
    @classmethod
    def _known_defaults(cls, defaults: dict[str, Scalar]) -> dict[str, Scalar]:
        # A field validator: the error's place is `defaults`, not the top level.
        _only_save_flow_fields(defaults)
        return defaults


def _where(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The config models an annotation may hold (`TaskSettings | None`, `dict[str, str | FieldRule]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, types.UnionType, Annotated):
        return [model for arg in get_args(annotation) for model in _models_in(arg)]
    if get_origin(annotation) is dict:
        return _models_in(get_args(annotation)[1])
    return []


def _is_table_of_tables(annotation: Any) -> bool:
    """A dict whose keys are the user's own names (mapping.fields.<field>)."""
    return get_origin(annotation) is dict or any(_is_table_of_tables(arg) for arg in get_args(annotation))


def _keys_at(section: tuple[int | str, ...]) -> list[str]:
    """The keys a config table takes, found by walking the models down the table's path; a
    user's own key (a field name under [mapping.fields]) is stepped over."""
    models: list[type[BaseModel]] = [Settings]
    own_key_next = False
    for part in section:
        if own_key_next:
            own_key_next = False
            continue
        found = [info.annotation for model in models for name, info in model.model_fields.items() if name == part]
        models = [model for annotation in found for model in _models_in(annotation)]
        own_key_next = any(_is_table_of_tables(annotation) for annotation in found)
    return [name for model in models for name in model.model_fields if name != "config_path"]


def _unknown_key(location: tuple[int | str, ...]) -> str:
    """`unknown key in [run]: did you mean `concurrency`?`"""
    section, key = location[:-1], str(location[-1])
    table = f"[{_where(section)}]" if section else "the top level"
    return f"unknown key in {table}: {closest_key(key, _keys_at(section))}"


def _resolve(base: Path, path: Path) -> Path:
    return (path if path.is_absolute() else base / path).resolve()


def _result_log(base: Path, path: Path) -> Path:
    return Path(STDOUT_LOG) if str(path) in STDOUT_LOG_NAMES else _resolve(base, path)


def logs_to_stdout(run: RunSettings) -> bool:
    return str(run.result_log) == STDOUT_LOG


def _check_ca_bundle(config: Path, bundle: Path) -> None:
    """Read the CA bundle now, so that a missing or broken one is named before anything starts."""
    import ssl

    if not bundle.is_file():
        raise ConfigError(f"{config}: target.ca_bundle: {bundle}: no such file")
    try:
        ssl.create_default_context(cafile=str(bundle))
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        raise ConfigError(f"{config}: target.ca_bundle: {bundle}: not PEM certificates ({error})") from None


def read_toml(path: Path, what: str = "config file") -> dict[str, Any]:
    """A TOML file's tables, or one line naming the file and what is wrong with it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: a folder, not a {what} (a TOML file; an export's folder is named by the "
                          "config's [source] path)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def load_settings(path: Path) -> Settings:
    data = read_toml(path)
    try:
        settings = Settings.model_validate({**data, "config_path": path})
    except ValidationError as error:
        lines = []
        for item in error.errors(include_url=False):
            # Without pydantic's names for the branches of a union (`str`, `function-after[…, FieldRule]`).
            location = tuple(p for p in item["loc"] if p not in ("str", "FieldRule")
                             and not str(p).startswith("function-"))
            message = _unknown_key(location) if item["type"] == "extra_forbidden" else item["msg"]
            message = message.removeprefix("Value error, ")
            # A value is shown, a whole table is not (the key named is enough to find it).
            given = item.get("input")
            shown = "" if item["type"] in ("missing", "extra_forbidden") or isinstance(given, dict) \
                else f" (value {given.isoformat() if isinstance(given, date | time) else repr(given)})"
            lines.append(f"{path}: {_where(location)}: {message}{shown}")
        raise ConfigError("\n".join(dict.fromkeys(lines))) from None
    if "contiguous_groups" in settings.mapping.model_fields_set:  # the profiles' own, kept out of configs
        raise ConfigError(f"{path}: mapping.contiguous_groups: not a setting: a table's rows of one flow are "
                          "gathered wherever they are in the file (a source profile knows its rows come together)")
    base = path.parent
    target = settings.target
    target = target.model_copy(update={
        key: _resolve(base, value) for key in ("emulator_config", "emulator_state", "credentials_file", "ca_bundle")
        if (value := getattr(target, key)) is not None
    })
    if target.ca_bundle is not None:
        _check_ca_bundle(path, target.ca_bundle)
    remember_configured(target.credentials_file)  # masked before the service is read (redact.py)
    return settings.model_copy(update={
        "source": settings.source.model_copy(update={"path": _resolve(base, settings.source.path)}),
        "target": target,
        "run": settings.run.model_copy(update={"result_log": _result_log(base, settings.run.result_log)}),
    })
