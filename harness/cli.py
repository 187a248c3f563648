"""``harness`` command line: ``run`` (pytest inside Pyodide), ``probe``, ``merge``, ``doctor``.

``harness run`` owns the options of ``harness.options.OPTIONS``; every other argument (and
everything after ``--``) is a pytest argument with its usual meaning. The harness's values
travel to the plugin as ``Settings`` (never as pytest arguments, so they cannot move
rootdir), and the exit status is pytest's own.

Exit codes: those of pytest (0 passed, 1 failed, 2 interrupted, 3 internal error, 4 usage
error, 5 no tests), with 4 also covering harness input errors (unknown runtime or Pyodide
version, corrupt distribution, unresolvable wheel, runtime that cannot start). ``--watch``
runs until Ctrl-C or SIGTERM and then exits 2 (interrupted).
"""

from __future__ import annotations

import importlib.util
import signal
import sys
from collections.abc import Sequence

from harness import options
from harness.commands import matrix
from harness.errors import HarnessError
from harness.runtimes import RUNTIMES, runtime_class

USAGE = f"""\
usage: harness run [options] [--] [pytest args...]
       harness probe [--runtime NAME] [--pyodide V[,V...] | --dist-dir PATH] [--no-patches]
       harness inspect [--pyodide V[,V...]] [--find-links DIR] [--package-url URL] WHEEL...
       harness merge REPORT.json... [--junitxml PATH] [--report-json PATH] [--store-durations]
       harness doctor

harness run runs pytest inside Pyodide and reports on the host. Any argument not listed
below is passed to pytest unchanged. Runtimes: {", ".join(RUNTIMES)}.

options:
{chr(10).join(options.usage("run"))}

environment:
  HARNESS_CACHE              cache directory (default: the platform's user cache dir)
  HARNESS_NODE, HARNESS_CHROMIUM, HARNESS_FIREFOX
                             the executable to use instead of the one found on PATH
  HARNESS_NO_SNAPSHOT=1      boot Node cold (no memory snapshot)
  HARNESS_BOOT_TIMEOUT       seconds a runtime may take to be ready (default 300)

Exit codes are pytest's (0 passed, 1 failed, 2 interrupted, 3 internal error, 4 usage
error, 5 no tests collected); 4 also means bad harness input (one line on stderr). With
--pyodide A,B,C the exit code is the worst of the versions' runs. --watch ends on Ctrl-C
(or SIGTERM) with 2. harness inspect exits 0 when every wheel fits some version, 1 when one
fits none."""


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    """CI stops jobs with SIGTERM: end like Ctrl-C so reports and JUnit XML are written."""
    raise KeyboardInterrupt


def run(argv: Sequence[str]) -> int:
    import pytest

    import harness.plugin

    values, pytest_args = options.scan(argv, "run")
    settings = options.Settings.from_values(values)
    runtime_class(settings.runtime)
    if len(matrix.versions_of(settings.pyodide)) > 1:
        if settings.watch is not None:
            raise HarnessError("--watch runs one Pyodide version: give --pyodide a single version")
        return matrix.run(values, pytest_args, settings)
    if settings.watch is not None:
        if importlib.util.find_spec("watchfiles") is None:
            # An extra: watchfiles brings anyio, whose pytest plugin every host session would load.
            raise HarnessError("--watch needs the watch extra: pip install 'harness[watch]'")
        from harness.watch import loop

        return loop.run(settings, pytest_args)
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    if not {"-h", "--help", "--version", "-V"}.intersection(pytest_args):
        runtime_class(settings.runtime).prelaunch(settings.launch)
    given = harness.plugin.GivenSettings(settings)
    return int(pytest.main(pytest_args, plugins=[given, harness.plugin]))


def probe_command(argv: Sequence[str]) -> int:
    from harness.commands.probe import probe

    values, extra = options.scan(argv, "probe")
    if extra:
        raise HarnessError(f"harness probe does not take {extra[0]!r}")
    settings = options.Settings.from_values(values)
    runtime_class(settings.runtime)
    versions = [None] if settings.dist_dir or not settings.pyodide else settings.pyodide.split(",")
    return probe(settings, versions)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if not args or args[0] in ("-h", "--help", "help"):
            print(USAGE)
            return 0
        command, rest = args[0], args[1:]
        if command == "run":
            if rest[:1] in (["-h"], ["--help"]):
                print(USAGE)
                return 0
            return run(rest)
        if command == "probe":
            return probe_command(rest)
        if command == "merge":
            from harness.commands.merge import merge_command

            return merge_command(rest)
        if command == "inspect":
            from harness.commands.inspect import inspect_command

            return inspect_command(rest)
        if command == "doctor":
            from harness.commands.doctor import doctor

            return doctor()
        commands = "'harness run', 'harness probe', 'harness inspect', 'harness merge' or 'harness doctor'"
        raise HarnessError(f"unknown command {command!r}; use {commands}")
    except HarnessError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)  # the prefix of pytest's usage errors: one form
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
