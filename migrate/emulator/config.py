"""The emulator's configuration: users, flows and tasks to start with, rules, faults, limits.

Read from TOML or JSON. Every key is checked: an unknown key is an error that names it.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from migrate.exit_codes import CannotRun


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserSpec(Strict):
    user_id: str
    name: str
    org_id: str
    locked: bool = False


class TaskSpec(Strict):
    task_id: str
    name: str


class FlowSpec(Strict):
    flow_id: int
    name: str
    owners: list[str]
    visitors: list[str] = []
    org_id: str
    active: Annotated[int, Field(ge=0, le=1)] = 0
    freq: str = "0 0 0 * * ? *"
    cycle: str = "D"
    dir_id: str | None = None
    locked: bool = False


class DirectorySpec(Strict):
    """A workflow directory the service has from the start (a flow's `dir_id` may name it)."""

    dir_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    name: str
    parent_id: str | None = None  # None: under the root "Workflow" directory


class Rules(Strict):
    """Readings of the docs where versions disagree; the defaults are the stricter ones."""

    require_start_time: bool = True
    require_do_as: bool = True
    require_graph_lists: bool = True  # tasks, flows, relations (mandatory in the zh pages)
    check_references: bool = True  # taskIds and upstream flowIds must exist
    tasks_of_their_flow: bool = True  # a Save names no task another flow's graph holds: 62102
    graph_as_string: bool = True  # Get Flow's `graph` as a JSON string (English samples)
    # Saves the real service very likely refuses, though no page says so (docs/emulator.md):
    refuse_foreign_upstream: bool = True  # an upstream flow of another organization: 62103, as Get gives
    refuse_self_dependency: bool = True  # a flow node `f_<its own id>`: 62102
    owners_must_be_users: bool = True  # every owner a user of the saving user's organization: 62102
    cycle_matches_freq: bool = True  # a cycle finer than freq fires (a daily freq, cycle H): 62102
    # Where a sample departs from the documented struct, the struct wins (docs/emulator.md):
    flow_node_ids_prefixed: bool = True  # a flow node's nodeId is f_<flowId> (the Python sample writes t_13774)
    sorter_fields_documented: bool = True  # Search sorts on createTime|updateTime|startTime, not start_time
    # Import faithful to the export form (enos-batch-api.md §6):
    import_task_fields: bool = True  # every documented Task struct field, as every sample sends them
    import_flow_id_integer: bool = True  # `flowId` an integer, as documented, not "2839"


class Faults(Strict):
    """Shares are probabilities per request, drawn from a seeded generator."""

    seed: int = 0
    latency_ms: Annotated[float, Field(ge=0)] = 0.0
    latency_jitter_ms: Annotated[float, Field(ge=0)] = 0.0
    error_5xx: Annotated[float, Field(ge=0, le=1)] = 0.0
    drop_before: Annotated[float, Field(ge=0, le=1)] = 0.0
    drop_after_apply: Annotated[float, Field(ge=0, le=1)] = 0.0
    hang: Annotated[float, Field(ge=0, le=1)] = 0.0
    hang_seconds: Annotated[float, Field(gt=0)] = 30.0
    throttle_429: Annotated[float, Field(ge=0, le=1)] = 0.0  # random 429s besides the rate limit
    retry_after_seconds: Annotated[float, Field(ge=0)] = 1.0
    only_actions: list[str] = []  # empty: faults apply to every action
    lock_user_after_saves: Annotated[int, Field(ge=0)] = 0  # lock the saving user after N saves


class ApplicationSpec(Strict):
    app_key: str
    app_secret: str


class AuthRules(Strict):
    required: bool | None = None  # None: required when any application is configured
    token_ttl_seconds: Annotated[int, Field(gt=0)] = 7200
    # How far apim-timestamp may be from the emulator's clock (not documented: a guess).
    max_skew_seconds: Annotated[float, Field(gt=0)] = 300.0
    clock_offset_seconds: float = 0.0  # the emulator's clock runs this far ahead, to test skew
    # How the gateway says a token is expired or unknown. Not documented: "status_401" answers
    # HTTP 401 `{status: 1203}`; "apim_status" answers HTTP 200 with neither `code` nor `status`
    # but `apim_status` 4011 (renew; with `apim_refreshtoken`) or 4012 (get a new token), the
    # only shape the vendor's Python SDK (enos-poseidon 0.2.0) reads: an inference from it.
    token_problems: Literal["status_401", "apim_status"] = "status_401"
    # After this many batch requests, every token issued so far lapses at once (0: never): a
    # token that expires mid-run while the client still believes it good. "expire" keeps it
    # known (1203 / 4011, refreshable); "forget" drops it (1203 / 4012, get a new one).
    lapse_tokens_after_requests: Annotated[int, Field(ge=0)] = 0
    lapse_tokens_as: Literal["expire", "forget"] = "expire"
    # After this many tokens issued (get or refresh), the application is revoked: every token
    # request is answered 1002 "appKey does not exist" (0: never), as when its key is rotated or
    # deleted mid-run; with `lapse_tokens_after_requests`, a renewal that cannot be had.
    revoke_application_after_tokens: Annotated[int, Field(ge=0)] = 0


class Limits(Strict):
    # A documented guess (enos-batch-api.md §11): above this many requests in any one-second
    # window an application gets HTTP 429 `{"code": 429, "msg": "Resource Exhausted"}`.
    rate_per_second: Annotated[int, Field(ge=0)] = 0  # 0: no limit


class EmulatorConfig(Strict):
    users: list[UserSpec] = []
    tasks: list[TaskSpec] = []
    flows: list[FlowSpec] = []
    directories: list[DirectorySpec] = []
    applications: list[ApplicationSpec] = []
    auth: AuthRules = AuthRules()
    root_dir_id: str = "0" * 32
    rules: Rules = Rules()
    faults: Faults = Faults()
    limits: Limits = Limits()


class EmulatorConfigError(CannotRun):
    """An emulator config that cannot be used; one line naming the file and the key."""


def load_emulator_config(path: Path) -> EmulatorConfig:
    """JSON for a `.json` file, else TOML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EmulatorConfigError(f"{path}: no such emulator config") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EmulatorConfigError(f"{path}: cannot read the emulator config: {error}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except json.JSONDecodeError as error:
        raise EmulatorConfigError(f"{path}: not valid JSON at line {error.lineno} column {error.colno} "
                                  f"({error.msg})") from None
    except tomllib.TOMLDecodeError as error:
        raise EmulatorConfigError(f"{path}: not valid TOML ({error}); a JSON config needs the suffix .json") from None
    except RecursionError:
        raise EmulatorConfigError(f"{path}: nested too deeply to read") from None
    try:
        return EmulatorConfig.model_validate(data)
    except ValidationError as error:
        raise EmulatorConfigError(f"{path}: {_problems(error)}") from None


def _problems(error: ValidationError, most: int = 3) -> str:
    """A validation error's first problems on one line, each naming its key."""
    found = []
    for item in error.errors(include_url=False)[:most]:
        key = ".".join(map(str, item["loc"])) or "(top level)"
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        found.append(f"{key}: {message}")
    more = error.error_count() - most
    return "; ".join(found) + (f"; and {more} more" if more > 0 else "")
