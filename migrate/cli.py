"""`migrate VERB`: parses the command line, hands it to the verb's module in `commands/`, and turns
what can go wrong into one line and an exit code (README). Signals are handled from the first line.

Imports here are the standard library's light ones and the verbs' modules, which are as light:
everything else is imported inside the verbs, so that `migrate --help` is quick and the signal
handlers are in place a few milliseconds after start."""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import re
import signal
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from migrate.commands import (
    cron,
    delete,
    demo,
    disable,
    edit,
    emulator,
    enable,
    export,
    fail,
    plan,
    report,
    restore,
    run,
)
from migrate.exit_codes import EXIT_CANNOT_RUN, EXIT_INTERRUPTED, CannotRun

COMMANDS = {"run": run, "plan": plan, "export": export, "edit": edit, "enable": enable, "disable": disable,
            "delete": delete, "restore": restore, "demo": demo, "emulator": emulator, "report": report, "cron": cron}

READ_ONLY_VERBS = frozenset({"plan", "export", "report", "cron"})  # what an interrupt of these left
WRITES_NOTHING = "nothing was written to the service"
SENT_OR_SAID = ("flows without a line in the result log were not sent (a `failed` line says when one was cut "
                "short after its request left); where no result log was made yet (stopped while the live service "
                "or the source was being read), nothing was sent: give the same command again (one that named "
                "its --run-id made that run: add --resume to it, or give another run id)")
EXIT_USAGE = EXIT_CANNOT_RUN  # argparse's own 2 would mean "some flows failed" here


class _Parser(argparse.ArgumentParser):
    """argparse, but a command line it cannot use exits 1 (with the usage line and the reason)."""

    json_wanted = False  # the command line asks for --json: its reader parses stdout

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        if _Parser.json_wanted:  # a document on stdout too
            print(json.dumps({"exit_code": EXIT_USAGE, "error": f"{self.prog}: {message}"}))
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="migrate",
        description="Move scheduler job definitions into EnOS Batch Processing Service v2.1 flows.",
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for command in COMMANDS.values():
        command.add_parser(verbs)
    from migrate import console

    console.add_arguments(parser, verbs)
    return parser


def version() -> str:
    """The installed package's version; in a checkout that was never installed, pyproject's."""
    from importlib import metadata

    try:
        return metadata.version("migrate")
    except metadata.PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        except (OSError, ValueError, KeyError):
            return "unknown (neither installed nor in a checkout)"


class _Version(argparse.Action):
    """`--version`, its version read only when asked for: importlib.metadata is no light import."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"migrate {version()}")  # on stdout, as argparse's own version action does
        parser.exit(0)


class _Interrupts:
    """SIGINT and SIGTERM from the first line of main until a run puts in its own handlers (which
    let requests in flight finish): exit 130 with one line, never a traceback, nor SIGTERM's 143.

    While the tool starts (imports pandas, numpy, aiohttp...), a signal is only noted: a
    KeyboardInterrupt inside a C extension's import leaves it half made, and the interpreter
    then dies by SIGINT at exit whatever main returned; one inside an import's clean-up is
    swallowed and the run goes on. Once started, a noted signal and any later one raise
    KeyboardInterrupt; inside asyncio.run SIGTERM goes the way of its Ctrl-C (the main task is
    cancelled, so every `finally` runs first)."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.started = False
        self.requested = False
        # The exit code is known (or an interrupt is being reported): later signals change nothing.
        self.done = False
        self.verb = ""  # the verb being run, once the command line is read
        self.log_format: Any = "human"  # how the interruption is told (console.py)
        self.previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            if signal.getsignal(signum) is not signal.SIG_IGN:  # an ignored SIGINT (a background job) stays so
                self.previous[signum] = signal.signal(signum, self.handle)

    def start(self) -> None:
        """Started: from now on a signal interrupts; one noted before interrupts now."""
        self.started = True
        if signal.SIGINT in self.previous:  # Python's own, which asyncio.run replaces with its gentler one
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if self.requested:
            raise KeyboardInterrupt

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.owner:  # a forked child (the mapping process) inherits this: it dies as told
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        elif self.done:
            return
        elif not self.started:
            self.requested = True
        else:
            as_ctrl_c = signal.getsignal(signal.SIGINT)
            if callable(as_ctrl_c) and as_ctrl_c not in (self.handle, signal.default_int_handler):
                as_ctrl_c(signal.SIGINT, frame)  # asyncio.run's: cancels the main task, every `finally` runs
            else:
                self.done = True  # a second signal must not interrupt the report of the first
                raise KeyboardInterrupt

    def settle(self) -> None:
        """The exit code is known: later signals are ignored. Python resets the handlers it runs
        to the default while the interpreter closes (a few hundred ms with pandas loaded), where a
        SIGTERM would end the process by the signal (exit 143); an ignored signal stays ignored."""
        self.done = True
        for signum in self.previous:
            signal.signal(signum, signal.SIG_IGN)

    def restore(self) -> None:
        """The handlers found, back: for a caller that runs main in its own process (tests)."""
        for signum, found in self.previous.items():
            if found is not None:
                signal.signal(signum, found)


def _os_error(error: OSError) -> str:
    """An OSError as one line, with its file when it has one, never an empty name."""
    reason = error.strerror or str(error) or type(error).__name__
    files = [str(f) for f in (error.filename, error.filename2) if f not in (None, "")]
    return f"{' -> '.join(files)}: {reason}" if files else f"{reason} ({type(error).__name__}, errno {error.errno})"


def main(argv: list[str] | None = None) -> int:
    """The program (`migrate`, argv from the command line) or a caller in its own process (tests,
    benchmarks: argv given). The program ignores signals once its exit code is known (see
    `settle`); a caller gets its own handlers back."""
    interrupts = _Interrupts()
    try:
        interrupts.install()
        return _main(argv, interrupts)
    except KeyboardInterrupt as stop:
        interrupts.done = True
        _let_go_quietly(stop)
        from migrate import console

        with console.session(interrupts.log_format):
            fail("interrupted; " + (WRITES_NOTHING if interrupts.verb in READ_ONLY_VERBS else SENT_OR_SAID))
        return EXIT_INTERRUPTED
    finally:
        if argv is None:
            interrupts.settle()
        else:
            interrupts.restore()


def _let_go_quietly(stop: KeyboardInterrupt) -> None:
    """What the interrupted frames held, freed now and quietly: a signal that lands while
    asyncio.run makes its event loop leaves it half made, and freed, its `__del__` fails (no
    `_signal_handlers` yet), which Python printed as a traceback under our one line "interrupted",
    with the coroutine it never ran ("never awaited"). Only those two are kept quiet."""
    hook = sys.unraisablehook

    def quiet(unraisable: Any) -> object:
        if isinstance(unraisable.exc_value, AttributeError) and "_signal_handlers" in str(unraisable.exc_value):
            return None
        return hook(unraisable)

    sys.unraisablehook = quiet
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
            stop.__traceback__ = None
            gc.collect()
    finally:
        sys.unraisablehook = hook


SIGNED_VALUE = re.compile(r"^-\d+[hm]")


def _signed_values(words: list[str]) -> list[str]:
    """`--shift-schedule -30m` as `--shift-schedule=-30m`: argparse takes a value that starts with
    a dash for another option."""
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] == "--shift-schedule" and SIGNED_VALUE.match(word):
            joined[-1] = f"--shift-schedule={word}"
        else:
            joined.append(word)
    return joined


def _main(argv: list[str] | None, interrupts: _Interrupts) -> int:
    from migrate.redact import remember_configured

    remember_configured()  # the environment's secret, masked from the first message on
    words = _signed_values(list(sys.argv[1:] if argv is None else argv))
    _Parser.json_wanted = "--json" in words
    args = _parser().parse_args(words)
    if isinstance(config := getattr(args, "config", None), Path):
        from migrate.redact import remember_from_config

        remember_from_config(config)  # its credentials file's secret, before an ids file is read
    args.command_line = words  # what a resume repeats
    interrupts.verb = args.verb
    verb = COMMANDS[args.verb]
    # The heavy imports (pandas, aiohttp...), before a signal may interrupt: a verb's PRELOAD, or
    # what its preload(args) says when that depends on the command line.
    modules = verb.preload(args) if hasattr(verb, "preload") else verb.PRELOAD
    for module in modules:
        importlib.import_module(module)
    from migrate import console

    try:
        interrupts.log_format = console.chosen_format(args)
    except console.LogFormatError as error:
        return fail(str(error))
    interrupts.start()
    with console.session(interrupts.log_format, documents_on_stdout=getattr(args, "json", False)):
        code, message = _execute(verb, args)
        if message is not None:
            fail(message)
            if getattr(args, "json", False):  # --json's reader parses stdout: a document there too
                from migrate.commands import output_may_close
                from migrate.redact import redact

                with output_may_close():
                    print(json.dumps({"exit_code": code, "error": redact(message)}))
    return code


def _execute(verb: Any, args: argparse.Namespace) -> tuple[int, str | None]:
    """The verb's exit code, or 1 and why it could not run."""
    from pydantic import ValidationError

    try:
        return int(verb.execute(args)), None
    except CannotRun as error:
        return error.exit_code, str(error)
    except ValidationError as error:
        return EXIT_CANNOT_RUN, " ".join(str(error).split())
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CANNOT_RUN, ("the output was closed before the plan was all written (a pipe such as `| head`): "
                                 "nothing was sent; read the plan whole first (without --apply), or send it to a file")
    except OSError as error:
        return EXIT_CANNOT_RUN, _os_error(error)


if __name__ == "__main__":
    sys.exit(main())
