"""Each workflow action as its task's command: the action's cluster and configuration as comment
lines, its `<prepare>` as `hdfs dfs` lines, then `shell` and `ssh` as their command lines; `java`,
`spark`, `hive`, `hive2`, `pig`, `sqoop`, `distcp`, streaming `map-reduce` and `fs` as the command
lines that run the same job (ACTION_AS_COMMAND); plain `map-reduce`, `email` and unknown actions as
text (TASK_BODY_AS_TEXT).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from xml.etree.ElementTree import Element

from migrate.sources.profiles.oozie.context import Context
from migrate.sources.profiles.oozie.elements import child, children, items, local, properties, text
from migrate.sources.profiles.oozie.expressions import Scope
from migrate.sources.profiles.oozie.messages import listed


def _quoted(text: str) -> str:
    """A shell word; one holding an expression Oozie evaluated at run time stays readable."""
    if "${" in text and '"' not in text and "`" not in text:
        return f'"{text}"' if re.search(r"[\s'|&;<>()]", text) else text
    return shlex.quote(text) if text else "''"


def _header(kind: str, body: Element, scope: Scope, ctx: Context, where: str, global_: Element | None) -> list[str]:
    """Comment lines with what the action ran against: cluster, configuration, job-xml."""
    lines = [f"# Oozie {kind} action"]
    cluster = [f"{label} {ctx.text(scope, text(body, tag) or text(global_, tag), where)}"
               for tag, label in (("resource-manager", "resource-manager"), ("job-tracker", "job-tracker"),
                                  ("name-node", "name-node"))
               if text(body, tag) or text(global_, tag)]
    if cluster:
        lines[0] += f" on {', '.join(cluster)}"
    configuration = {name: value or "" for name, value in properties(child(global_, "configuration"))}
    configuration.update({name: value or "" for name, value in properties(child(body, "configuration"))})
    for name, value in configuration.items():
        lines.append(f"# configuration: {name}={ctx.text(scope, value, where)}")
    launcher = [(local(e.tag), text(e)) for holder in (global_, body) for e in items(child(holder, "launcher"))]
    lines += [f"# launcher: {name}={ctx.text(scope, value, where)}" for name, value in launcher]
    if configuration or launcher:
        ctx.note("ACTION_CONFIGURATION", where)
    shipped = [ctx.text(scope, text(e), where) for tag in ("job-xml", "file", "archive")
               for e in [*children(global_, tag), *children(body, tag)]]
    if shipped:
        ctx.note("TASK_FILES", f"{where}: {listed(shipped, 4)}")
    return lines


def _arguments(body: Element, scope: Scope, ctx: Context, where: str, *tags: str) -> list[str]:
    return [_quoted(ctx.text(scope, text(e), where)) for tag in tags for e in children(body, tag)]


def _shell(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    environment = [ctx.text(scope, text(e), where) for e in children(body, "env-var")]
    command = [_quoted(ctx.text(scope, text(body, "exec"), where)), *_arguments(body, scope, ctx, where, "argument")]
    prefix = [f"{name}={_quoted(value)}" for name, _, value in (e.partition("=") for e in environment)]
    return " ".join([*prefix, *command])


def _ssh(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    """ssh joins its arguments with spaces for the remote shell, which splits them again: Oozie
    (SshActionExecutor, "arguments in an <arg> are preserved, even with spaces") escapes each
    `<arg>`'s spaces, and only those; an `<args>` value is split at its spaces, as Oozie splits it."""
    host = ctx.text(scope, text(body, "host"), where)
    command = ctx.text(scope, text(body, "command"), where)
    arguments = [_quoted(ctx.text(scope, text(e), where)) if local(e.tag) == "args" else
                 _quoted(ctx.text(scope, text(e), where).replace(" ", "\\ "))
                 for e in items(body) if local(e.tag) in ("args", "arg")]
    return " ".join(["ssh", _quoted(host), command, *arguments])


def _java(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    options = " ".join(ctx.text(scope, text(e), where) for tag in ("java-opts", "java-opt")
                       for e in children(body, tag))
    return " ".join(p for p in ["java", "-cp", "'lib/*'", options, ctx.text(scope, text(body, "main-class"), where),
                                *_arguments(body, scope, ctx, where, "arg")] if p)


def _spark(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    parts = ["spark-submit"]
    for tag, option in (("master", "--master"), ("mode", "--deploy-mode"), ("name", "--name"), ("class", "--class")):
        if text(body, tag):
            parts += [option, _quoted(ctx.text(scope, text(body, tag), where))]
    if text(body, "spark-opts"):
        parts.append(" ".join(ctx.text(scope, text(body, "spark-opts"), where).split()))
    parts.append(_quoted(ctx.text(scope, text(body, "jar"), where)))
    return " ".join([*parts, *_arguments(body, scope, ctx, where, "arg")])


def _script_tool(tool: str, body: Element, scope: Scope, ctx: Context, where: str) -> str:
    """hive, hive2 (beeline), pig: a script or a query, its parameters, its arguments."""
    parts = [tool]
    if tool == "beeline":
        parts += ["-u", _quoted(ctx.text(scope, text(body, "jdbc-url"), where))]
        if text(body, "password"):
            parts += ["-p", _quoted(ctx.text(scope, text(body, "password"), where))]
            ctx.note("ACTION_SECRET", f"{where}: the beeline password is in the command")
    if text(body, "query"):
        parts += ["-e", _quoted(ctx.text(scope, text(body, "query"), where))]
    else:
        parts += ["-f", _quoted(ctx.text(scope, text(body, "script"), where))]
    flag = "-param" if tool == "pig" else "--hivevar"
    parts += [f"{flag} {_quoted(ctx.text(scope, text(e), where))}" for e in children(body, "param")]
    return " ".join([*parts, *_arguments(body, scope, ctx, where, "argument")])


def _sqoop(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    if text(body, "command"):
        return "sqoop " + ctx.text(scope, text(body, "command"), where)
    return " ".join(["sqoop", *_arguments(body, scope, ctx, where, "arg")])


def _distcp(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    return " ".join(["hadoop", "distcp", *_arguments(body, scope, ctx, where, "arg")])


FS_COMMANDS = {"mkdir": "-mkdir -p", "delete": "-rm -r", "move": "-mv", "chmod": "-chmod", "touchz": "-touchz",
               "chgrp": "-chgrp", "setrep": "-setrep"}


def _fs(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    lines = ["set -e"]
    for step in body:
        verb = local(step.tag)
        if verb not in FS_COMMANDS:
            continue
        path = _quoted(ctx.text(scope, step.get("path") or step.get("source") or "", where))
        options = FS_COMMANDS[verb]
        if verb == "delete" and (step.get("skip-trash") or "true").lower() != "false":
            options += " -skipTrash"
        if verb in ("chmod", "chgrp") and (step.get("dir-files") or "true").lower() == "true" and child(
                step, "recursive") is not None:
            options += " -R"
        operand = {"move": step.get("target"), "chmod": step.get("permissions"), "chgrp": step.get("group"),
                   "setrep": step.get("replication-factor")}.get(verb)
        words = ["hdfs dfs", options]
        if verb in ("chmod", "chgrp", "setrep"):
            words += [_quoted(ctx.text(scope, operand or "", where)), path]
        else:
            words += [path] + ([_quoted(ctx.text(scope, operand or "", where))] if verb == "move" else [])
        lines.append(" ".join(words))
    return "\n".join(lines)


def _map_reduce(body: Element, scope: Scope, ctx: Context, where: str) -> tuple[str, bool]:
    streaming = child(body, "streaming")
    if streaming is not None:
        parts = ["hadoop jar hadoop-streaming.jar"]
        for tag in ("mapper", "reducer", "record-reader"):
            if text(streaming, tag):
                parts += [f"-{tag.replace('-', '')}", _quoted(ctx.text(scope, text(streaming, tag), where))]
        parts += [f"-cmdenv {_quoted(ctx.text(scope, text(e), where))}" for e in children(streaming, "env")]
        return " ".join(parts), True
    return "# a Hadoop map-reduce job defined by the configuration above: rewrite it as a `hadoop jar` command", False


def _email(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    fields = [(tag, ctx.text(scope, text(body, tag), where)) for tag in ("to", "cc", "bcc", "subject", "body",
                                                                          "content_type", "attachment")]
    return "\n".join(f"# e-mail {tag}: {value}" for tag, value in fields if value)


def _other(kind: str, body: Element, scope: Scope, ctx: Context, where: str) -> str:
    lines = []
    for element in body:
        if local(element.tag) in ("configuration", "prepare", "launcher"):  # in the header already
            continue
        for item in element.iter():
            text = (item.text or "").strip()
            if text and not list(item):
                lines.append(f"# {local(item.tag)}: {ctx.text(scope, text, where)}")
    return "\n".join(lines) or f"# an Oozie {kind} action with no settings"


Renderer = Callable[[Element, Scope, Context, str], str]
AS_COMMAND: dict[str, Renderer] = {
    "java": _java, "spark": _spark, "sqoop": _sqoop, "distcp": _distcp, "fs": _fs,
    "hive": lambda b, s, c, w: _script_tool("hive", b, s, c, w),
    "hive2": lambda b, s, c, w: _script_tool("beeline", b, s, c, w),
    "pig": lambda b, s, c, w: _script_tool("pig", b, s, c, w),
}


def _prepare(body: Element, scope: Scope, ctx: Context, where: str) -> list[str]:
    """What the action's `<prepare>` did before it ran: paths deleted (if there) and made."""
    lines = []
    for step in items(child(body, "prepare")):
        path = _quoted(ctx.text(scope, step.get("path", ""), where))
        if local(step.tag) == "delete":
            lines.append(f"hdfs dfs -rm -r -f -skipTrash {path}")
        elif local(step.tag) == "mkdir":
            lines.append(f"hdfs dfs -mkdir -p {path}")
    return lines


def command(kind: str, body: Element, scope: Scope, ctx: Context, where: str, global_: Element | None) -> str:
    lines = _header(kind, body, scope, ctx, where, global_) + _prepare(body, scope, ctx, where)
    if kind in ("shell", "ssh"):
        lines.append(_shell(body, scope, ctx, where) if kind == "shell" else _ssh(body, scope, ctx, where))
    elif kind in AS_COMMAND:
        lines.append(AS_COMMAND[kind](body, scope, ctx, where))
        ctx.note("ACTION_AS_COMMAND", f"{where} ({kind})")
    elif kind == "map-reduce":
        text, runnable = _map_reduce(body, scope, ctx, where)
        lines.append(text)
        ctx.note("ACTION_AS_COMMAND" if runnable else "TASK_BODY_AS_TEXT", f"{where} ({kind})")
    else:
        lines.append(_email(body, scope, ctx, where) if kind == "email" else _other(kind, body, scope, ctx, where))
        ctx.note("TASK_BODY_AS_TEXT", f"{where} ({kind})")
    if child(body, "capture-output") is not None:
        ctx.note("CAPTURE_OUTPUT", where)
    return "\n".join(lines)
