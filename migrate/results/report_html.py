"""`migrate report --html FILE`: one self-contained page for a migration review: counts by
status, errors by code, each run, throughput over time (inline SVG), the latency distribution
(CSS bars) and the invalid flows with their reasons. No script, no external asset: it opens
from a mail attachment or a ticket as it is.

Every value that comes from a log (a flow's name, a message, a run id) may hold anything a
source export held, `<script>` included: each passes through `html.escape` on its way into the
page, and nothing from a log is ever put inside a tag's name, a style or a URL."""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from pathlib import Path

from migrate.results.log import STATUSES, Summary
from migrate.results.runs import MAX_LISTED_INVALID, Report, latency_histogram

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 70em; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .7em; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.bar { background: #4a7bb7; height: .9em; display: inline-block; vertical-align: middle; }
.bar.bad { background: #c0504d; }
.note { color: #666; }
svg { background: #fafafa; border: 1px solid #ddd; }
"""
BAD_STATUSES = frozenset({"failed", "invalid", "not_attempted", "stale"})


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(head: list[str], rows: Iterable[list[str]], numeric: frozenset[int] = frozenset()) -> str:
    """A table of cells already escaped (or made here from numbers)."""
    heads = "".join(f'<th class="n">{h}</th>' if i in numeric else f"<th>{h}</th>" for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>"


def _bar(count: int, most: int, bad: bool = False) -> str:
    width = 0.0 if most <= 0 else 20 * count / most
    return f'<span class="bar{" bad" if bad else ""}" style="width: {width:.2f}em"></span>'


def _counts(summary: Summary) -> str:
    rows = [(status, summary.counts[status]) for status in STATUSES if summary.counts[status]]
    most = max((count for _, count in rows), default=0)
    return _table(["status", "flows", ""], ([_e(status), str(count), _bar(count, most, status in BAD_STATUSES)]
                                           for status, count in rows), numeric=frozenset({1}))


def _errors(summary: Summary) -> str:
    if not summary.errors_by_code:
        return '<p class="note">none</p>'
    ordered = summary.errors_by_code.most_common()
    most = ordered[0][1]
    return _table(["code", "flows", ""], ([_e(code), str(count), _bar(count, most, True)] for code, count in ordered),
                  numeric=frozenset({1}))


def _runs(report: Report) -> str:
    rows = []
    for run, summary in report.run_summaries():
        facts = summary.as_json()
        rows.append([_e(run.run_id), "<br>".join(_e(log) for log in run.logs), str(facts["flows"]),
                     _e(", ".join(f"{k} {v}" for k, v in facts["by_status"].items()) or "nothing"),
                     f"{facts['flows_per_second']}", f"{facts['elapsed_seconds']}"])
    return _table(["run", "log", "flows", "by status", "flows/s", "seconds"], rows, numeric=frozenset({2, 4, 5}))


def _clock(epoch_seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_seconds)) + " UTC"


def _throughput(report: Report) -> str:
    """Flows sent per second over the run, one SVG bar a bucket (numbers only reach the SVG)."""
    width, buckets = report.throughput()
    if not buckets:
        return '<p class="note">no flow was sent</p>'
    rates = [count / width for _, count in buckets]
    top = max(rates) or 1.0
    chart_w, chart_h, left, bottom = 720, 200, 50, 20
    step = (chart_w - left) / len(buckets)
    bars = []
    for index, ((start, count), rate) in enumerate(zip(buckets, rates, strict=True)):
        height = (chart_h - bottom - 10) * rate / top
        x, y = left + index * step, chart_h - bottom - height
        bars.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(step - 1, 0.5):.1f}" height="{height:.1f}" '
                    f'fill="#4a7bb7"><title>{_e(_clock(start))}: {count} flows ({rate:.1f}/s)</title></rect>')
    axis = (f'<line x1="{left}" y1="{chart_h - bottom}" x2="{chart_w}" y2="{chart_h - bottom}" stroke="#888"/>'
            f'<text x="{left - 5}" y="14" font-size="11" text-anchor="end">{top:.0f}/s</text>'
            f'<text x="{left - 5}" y="{chart_h - bottom}" font-size="11" text-anchor="end">0</text>'
            f'<text x="{left}" y="{chart_h - 4}" font-size="11">{_e(_clock(buckets[0][0]))}</text>'
            f'<text x="{chart_w}" y="{chart_h - 4}" font-size="11" text-anchor="end">'
            f'{_e(_clock(buckets[-1][0] + width))}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{chart_w}" height="{chart_h}" role="img" '
            f'aria-label="flows sent per second">{axis}{"".join(bars)}</svg>'
            f'<p class="note">flows sent per second, in buckets of {width} s; busiest bucket {top:.1f} flows/s</p>')


def _latency(summary: Summary) -> str:
    histogram = latency_histogram(summary.latencies_ms)
    if not any(count for _, count in histogram):
        return '<p class="note">no latency recorded</p>'
    last = max(i for i, (_, count) in enumerate(histogram) if count)
    shown = histogram[:last + 1]
    most = max(count for _, count in shown)
    facts = summary.as_json()
    return (_table(["latency", "requests", ""], ([_e(label), str(count), _bar(count, most)] for label, count in shown),
                   numeric=frozenset({1}))
            + f'<p class="note">p50 {_e(facts["latency_ms_p50"])} ms, p95 {_e(facts["latency_ms_p95"])} ms</p>')


def _invalid(report: Report) -> str:
    flows = list(report.invalid.values())
    if not flows:
        return '<p class="note">none</p>'
    listed = flows[:MAX_LISTED_INVALID]
    rows = ([_e(flow.name), _e(flow.flow_id), _e(flow.rows), "<br>".join(_e(reason) for reason in flow.reasons),
             _e(flow.run_id)] for flow in listed)
    more = (f'<p class="note">and {len(flows) - len(listed)} more: `migrate report --csv FILE` lists every line</p>'
            if len(flows) > len(listed) else "")
    return _table(["flow", "id", "rows", "reasons", "run"], rows) + more


def render(report: Report) -> str:
    summary = report.summary()
    facts = summary.as_json()
    statuses = ", ".join(f"{k} {v}" for k, v in facts["by_status"].items()) or "nothing"
    skipped = (f'<p class="note">lines skipped: {report.skipped.lines} (unreadable or torn; named on stderr '
               "when read)</p>" if report.skipped.lines else "")
    logs = "".join(f"<li>{_e(log)}</li>" for log in report.logs)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>migrate report: {facts['flows']} flows</title><style>{STYLE}</style></head><body>",
        f"<h1>migrate report: {facts['flows']} flows: {_e(statuses)}</h1>",
        f"<p>{facts['flows_per_second']} flows/s over {facts['elapsed_seconds']} s, "
        f"{len(report.runs)} run(s) in {len(report.logs)} log(s):</p><ul>{logs}</ul>{skipped}",
        "<h2>Flows by status</h2>", _counts(summary),
        "<h2>Errors by code</h2>", _errors(summary),
        "<h2>Runs</h2>", _runs(report),
        "<h2>Throughput over time</h2>", _throughput(report),
        "<h2>Latency distribution</h2>", _latency(summary),
        f"<h2>Invalid flows ({len(report.invalid)})</h2>", _invalid(report),
        "</body></html>",
        "",
    ])


def write_html(report: Report, path: Path) -> None:
    """The page, written whole or not at all (a half page would look like a short migration)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render(report), encoding="utf-8")
    partial.replace(path)
