"""`migrate cron EXPR`: one schedule through the same conversion a run uses, anchor and zones
included."""

from __future__ import annotations

import argparse
import json
from typing import Any

from migrate.commands import refuse

# Schedules a profile reads in its own grammar (converted to Quartz by its schedule module, as the
# profile does), then placed in the service's zone as every schedule is.
NATIVE_DIALECTS = ("kubernetes", "eventbridge", "systemd")

# Why `--split` does nothing for a dialect its profile converts (refused, not ignored).
_NOT_SPLIT = {
    "kubernetes": "a CronJob is one flow, and the kubernetes profile refuses a schedule that ORs its day fields "
                  "(DOM_OR_DOW): split the CronJob in two, or restrict one field",
    "eventbridge": "EventBridge's cron(…) never ORs its day fields (one of them is always ?)",
    "systemd": "an OnCalendar= value never ORs a weekday with a date: both must match",
}
SPLITTING_DIALECTS = ("unix", "croniter", "airflow")

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.config", "migrate.schedule.convert")


def preload(args: argparse.Namespace) -> tuple[str, ...]:
    """With --start, the mapping's own rules for the flow's startTime (mapping/flows.py) too."""
    return (*PRELOAD, "migrate.mapping.flows") if args.start else PRELOAD


def add_parser(verbs: Any) -> None:
    cron = verbs.add_parser("cron", help="convert one schedule: prints freq, cycle and warnings, or why not")
    cron.add_argument("expression")
    cron.add_argument("--dialect", choices=["unix", "croniter", "quartz", "airflow", "iso8601", "service",
                                            *NATIVE_DIALECTS], required=True,
                      help="the source's dialect: never guessed from the text (kubernetes: a CronJob's schedule, "
                           "robfig/cron with CRON_TZ=; eventbridge: cron(…), rate(…); systemd: an OnCalendar= value)")
    cron.add_argument("--start", help="when the source begins: for intervals (airflow, iso8601, kubernetes @every, "
                                      "eventbridge rate) the date-time they count from; with an offset it is an "
                                      "instant, and the interval keeps UTC's clock. The flow starts on the day of "
                                      "its first run from then (startTime), and the proof compares from there")
    cron.add_argument("--zone", help="the IANA zone the schedule fires in (CRON_TZ, timeZone, timezoneId…)")
    cron.add_argument("--target-zone", help="the service's zone ([target] timezone): the schedule is shifted "
                                            "into it exactly, or refused")
    cron.add_argument("--approximate", action="store_true",
                      help="shift a schedule whose zone keeps another DST by today's offset, with a warning")
    cron.add_argument("--split", action="store_true",
                      help="split a day-of-month OR day-of-week schedule into two flows instead of refusing it")
    cron.add_argument("--proof", action="store_true",
                      help="also the proof: the old schedule and the freq in words, the next five fire times, and "
                           "whether both fire at the same instants over the horizon (docs/schedules.md, The proof)")
    cron.add_argument("--horizon-days", type=_horizon_days, default=None,
                      help="with --proof: how many days from today are compared, 1 to 3660 (default 730)")
    cron.add_argument("--json", action="store_true")


def execute(args: argparse.Namespace) -> int:
    from datetime import datetime

    from migrate.config import known_zone
    from migrate.schedule.convert import convert_for_service
    from migrate.schedule.result import Converted

    try:
        start = datetime.fromisoformat(args.start.replace("Z", "+00:00")) if args.start else None
    except ValueError:
        return refuse(f"--start {args.start!r} is not an ISO date or date-time")
    if args.dialect == "eventbridge" and start is not None and start.tzinfo is None:
        from datetime import UTC

        start = start.replace(tzinfo=UTC)  # EventBridge's instants are UTC's: the converter and the proof agree
    if args.split and args.dialect not in SPLITTING_DIALECTS:
        reason = _NOT_SPLIT.get(args.dialect, f"{_article(args.dialect)} {args.dialect} schedule cannot OR its day "
                                              "fields")
        return refuse(f"--split splits a cron schedule of the {', '.join(SPLITTING_DIALECTS)} dialects that ORs its "
                    f"day fields; not {_article(args.dialect)} {args.dialect} one: {reason}")
    try:
        zone, target_zone = known_zone(args.zone), known_zone(args.target_zone)
    except ValueError as error:
        return refuse(f"--zone/--target-zone: {error}")
    if args.dialect in NATIVE_DIALECTS:
        result = _native(args.expression, args.dialect, start, zone, target_zone, args.approximate)
    else:
        result = convert_for_service(args.expression, args.dialect, start, zone, target_zone, args.approximate,
                                     args.split)
    result = _in_flags(result)
    zone = _source_zone(args.expression, args.dialect, zone)
    start_time = _start_time(result, start, zone, target_zone)
    shown = _with_proof(args, result, zone, target_zone, start, start_time) if args.proof else None
    if args.json:
        print(json.dumps({**result.as_json(), **({"startTime": start_time} if start_time else {}), **(shown or {})}))
    elif isinstance(result, Converted):
        for converted in (result, result.split) if result.split else (result,):
            print(f"freq: {converted.freq}\ncycle: {converted.cycle}")
        if start_time:
            print(f"startTime: {start_time} (the day of the first run from --start, in the service's zone: "
                  "the flow fires from its midnight)")
        for warning in result.warnings:
            print(f"warning {warning.code}: {warning.message} ({warning.old} -> {warning.new})")
    else:
        print(f"rejected {result.code}: {result.message}")
    if shown and not args.json:
        _print_proof(shown)
    if shown is not None and shown.get("proof", {}).get("verdict") == "differs" and not args.approximate:
        return 2  # as a run refuses the flow (NOT_EQUIVALENT): a script can tell
    return 0 if isinstance(result, Converted) else 2


def _article(word: str) -> str:
    """"an eventbridge", "an iso8601", "a unix" (said "you-nix"), "a quartz"."""
    return "an" if word[:1] in "aeio" else "a"


def _horizon_days(text: str) -> int:
    """The proof's horizon, in the range `[mapping] proof_horizon_days` takes."""
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= days <= 3660:
        raise argparse.ArgumentTypeError(f"{days} is not from 1 to 3660 days")
    return days


# The grammar the proof reads a native dialect's text in (schedule/proof_grammars.py).
PROOF_GRAMMARS = {"kubernetes": "robfig", "eventbridge": "eventbridge", "systemd": "systemd"}


def _start_time(result: Any, start: Any, zone: str | None, target_zone: str | None) -> str | None:
    """The startTime (a day) a run gives the flow of a source that begins at --start: the day, in
    the service's zone, of the freq's first run from then, as a plan moves a flow to its source's
    first run (mapping/flows.py, START_DATE_SHIFTED), so that the flow does not fire on the days
    before it. A start without an offset is in the source's zone (else the service's), as the
    proof reads it. None without --start (the flow's day is then the run's)."""
    from zoneinfo import ZoneInfo

    from migrate.mapping.flows import first_fire
    from migrate.schedule.result import Converted

    if start is None or not isinstance(result, Converted):
        return None
    service = ZoneInfo(target_zone or zone or "UTC")
    begins = start if start.tzinfo is not None else start.replace(tzinfo=ZoneInfo(zone or target_zone or "UTC"))
    freqs = (result.freq,) if result.split is None else (result.freq, result.split.freq)
    first_run = first_fire(freqs, begins, service)
    return (first_run.date() if first_run is not None else begins.astimezone(service).date()).isoformat()


def _with_proof(args: argparse.Namespace, result: Any, zone: str | None, target_zone: str | None,
                start: Any, start_time: str | None) -> dict[str, Any]:
    """The proof of one schedule, as a plan shows it per flow: both sides in words, the freq's next
    five fire times in the service's zone, and the verdict; both sides from the flow's startTime
    when it is later than today, as a plan proves a flow with that start (the service fires
    nothing before it, and the source began at --start)."""
    from migrate.mapping.flows import flow_start_instant
    from migrate.schedule.proof import (
        DEFAULT_HORIZON_DAYS,
        clock_change_fires,
        first_fires,
        proof_begin,
        prove,
        schedule_in_words,
    )
    from migrate.schedule.result import Converted
    from migrate.schedule.words import in_words

    grammar = PROOF_GRAMMARS.get(args.dialect, args.dialect)
    source = _proved_as(args.expression, args.dialect)
    shown: dict[str, Any] = {"source_words": schedule_in_words(source, grammar)}
    if not isinstance(result, Converted):
        return shown
    freqs = (result.freq,) if result.split is None else (result.freq, result.split.freq)
    begin = proof_begin()
    flow_start = flow_start_instant(start_time, target_zone or zone) if start_time else None
    proof = prove(source, grammar, zone, start, freqs, target_zone, begin,
                  args.horizon_days or DEFAULT_HORIZON_DAYS, flow_start)
    # a split's two flows together fire when the source did: their next five, merged, from the flow's start
    fires_from = begin if flow_start is None else max(begin, flow_start)
    fires = sorted({fire for freq in freqs for fire in first_fires(freq, target_zone or zone, fires_from)})
    shown.update(freq_words=[in_words(freq) for freq in freqs], next_fires=fires[:5], proof=proof.as_json(),
                 proof_sentence=proof.sentence(), fires_zone=target_zone or zone or "UTC")
    if proof.verdict != "differs" and (target_zone or zone):  # the hours the proof left out, as a plan says
        changes = clock_change_fires(freqs, str(target_zone or zone), begin, args.horizon_days or DEFAULT_HORIZON_DAYS)
        shown["dst_hours"] = [f"{fire.wall:%Y-%m-%d %H:%M} ({fire.kind})" for fire in changes]
    return shown


def _proved_as(expression: str, dialect: str) -> str:
    """The source text the proof reads: EventBridge's one-time `at(…)` as the `cron(…)` of its minute
    with its year, which AWS fires once too (the proof's grammar reads cron and rate), as a plan
    proves it; any other text as written."""
    from migrate.schedule.eventbridge import convert_one_time, read_expression
    from migrate.schedule.result import Rejection

    if dialect != "eventbridge":
        return expression
    try:
        form, body = read_expression(expression.strip())
        return convert_one_time(body, "UTC").proved_as if form == "at" else expression
    except Rejection:
        return expression


def _source_zone(expression: str, dialect: str, zone: str | None) -> str | None:
    """The zone the source fires in, as the conversion took it (`_native`): the text's own first,
    then --zone; an EventBridge schedule's UTC without one (not the service's zone, which would have
    the proof read `cron(0 18 …)` at 18:00 in Tokyo). None: the service's zone."""
    return _named_zone(expression, dialect) or zone or ("UTC" if dialect == "eventbridge" else None)


def _named_zone(expression: str, dialect: str) -> str | None:
    """The zone a native dialect's text names itself (`CRON_TZ=…`, an `OnCalendar=` value's last
    word), which the conversion took over --zone: the proof reads the source in it too (its hours
    around a daylight-saving change are the ones left out)."""
    from migrate.schedule.result import Rejection

    try:
        if dialect == "kubernetes":
            from migrate.schedule.robfig import split_zone

            named, _ = split_zone(expression.strip())
            return None if named is None else (named or "UTC")
        if dialect == "systemd":
            from migrate.schedule.systemd import convert_calendar

            return convert_calendar(expression.strip()).timezone or None
    except Rejection:
        return None
    return None


def _print_proof(shown: dict[str, Any]) -> None:
    print(f"old schedule in words: {shown['source_words'] or '(no words for this grammar)'}")
    for words in shown.get("freq_words", []):
        print(f"freq in words: {words or '(none)'}")
    if "next_fires" in shown:  # in the service's zone, as a plan's Markdown shows them (JSON: UTC instants)
        from migrate.schedule.proof import fires_in_zone

        zone = shown.get("fires_zone") or "UTC"
        print(f"next five fire times ({zone}): " + ", ".join(fires_in_zone(shown["next_fires"], zone)))
        print(f"proof: {shown['proof_sentence']}")
    if shown.get("dst_hours"):
        print("DST_HOURS: fires in an hour a daylight-saving change skips or repeats, which the proof leaves out "
              "(schedulers differ there): " + "; ".join(shown["dst_hours"]))


def _native(expression: str, dialect: str, start: Any, zone: str | None, target_zone: str | None,
            approximate: bool) -> Any:
    """A profile's own grammar to Quartz (its zone, where the grammar names one, over --zone),
    then into the service's zone: the same steps the profile and the mapping take."""
    from dataclasses import replace
    from datetime import UTC

    from migrate.schedule.convert import convert_for_service
    from migrate.schedule.result import Converted, Rejected, Rejection

    try:
        if dialect == "kubernetes":
            from migrate.schedule.robfig import convert_robfig, split_zone

            named, rest = split_zone(expression.strip())
            native = convert_robfig(rest, start)
            zone = zone if named is None else (named or "UTC")
        elif dialect == "eventbridge":
            from migrate.schedule.eventbridge import convert_cron, convert_one_time, convert_rate, read_expression
            from migrate.schedule.result import NO_TIME_SCHEDULE

            form, body = read_expression(expression.strip())
            zone = zone or "UTC"  # EventBridge evaluates in UTC unless the schedule names its zone
            anchor = start.astimezone(UTC).replace(tzinfo=None) if start is not None and start.tzinfo else start
            if form == "at":  # one run, as the profile saves it (ONE_TIME), or none left
                run = convert_one_time(body, zone)
                if run.converted is None:
                    raise Rejection(NO_TIME_SCHEDULE, run.passed)
                native = run.converted
            else:
                native = convert_cron(body) if form == "cron" else convert_rate(body, anchor)
        else:
            from migrate.schedule.systemd import convert_calendar

            event = convert_calendar(expression.strip())
            native, zone = event.converted, event.timezone or zone
    except Rejection as rejection:
        return Rejected(rejection.code, rejection.message, expression)
    placed = convert_for_service(native.freq, "quartz", None, zone, target_zone, approximate)
    if isinstance(placed, Converted):  # the freq's own warnings name the source text, as every dialect's do
        said = tuple(replace(w, old=expression) if w.old == native.freq else w for w in placed.warnings)
        return replace(placed, source=expression, warnings=(*native.warnings, *said))
    return placed


# The converters' advice names config keys (a run's settings); here the same choices are flags.
_CONFIG_TO_FLAGS = (
    ("set [target] timezone (the service's Get Timezone action tells it)",
     "give --target-zone (the service's zone: its Get Timezone action tells it)"),
    ("[target] timezone", "--target-zone"),
    ('[mapping] timezone_shift = "approximate"', "--approximate"),
    ("[mapping] split_id_column", "--split"),
    ("which this export does not say", "which --start gives (an instant it fired at)"),
)


def _in_flags(result: Any) -> Any:
    """A result whose messages speak of this command's flags, its warnings each said once (a
    profile's grammar and the Quartz step may both note the same thing)."""
    from dataclasses import replace

    from migrate.schedule.result import Converted

    def said(text: str) -> str:
        for config, flag in _CONFIG_TO_FLAGS:
            text = text.replace(config, flag)
        return text

    if isinstance(result, Converted):
        unique = {(w.code, w.message): w for w in result.warnings}
        return replace(result, warnings=tuple(replace(w, message=said(w.message)) for w in unique.values()))
    return replace(result, message=said(result.message))
