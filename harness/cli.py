"""``harness`` command line: ``run`` (pytest inside Pyodide), ``doctor``.

``harness run`` owns a handful of options; every other argument (and everything after
``--``) is a pytest argument with its usual meaning. It then runs pytest on the host with
``harness.plugin`` doing the work, so the exit status is pytest's own.

Exit codes: those of pytest (0 passed, 1 failed, 2 interrupted, 3 internal error, 4 usage
error, 5 no tests), with 4 also covering harness input errors (unknown runtime or Pyodide
version, corrupt distribution, unresolvable wheel, runtime that cannot start).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from collections.abc import Sequence

from harness.errors import HarnessError
from harness.runtimes import runtime_class

# harness run option -> (pytest plugin option, takes a value: True, False or "optional")
RUN_OPTIONS: dict[str, tuple[str, bool | str]] = {
    "--runtime": ("--harness-runtime", True),
    "--pyodide": ("--harness-pyodide", True),
    "--dist-dir": ("--harness-dist-dir", True),
    "--with": ("--harness-with", True),
    "--requirements": ("--harness-requirements", True),
    "--timeout": ("--harness-timeout", True),
    "-n": ("--harness-workers", True),
    "--workers": ("--harness-workers", True),
    "--no-patches": ("--harness-no-patches", False),
    "--cov": ("--harness-cov", "optional"),
    "--cov-report": ("--harness-cov-report", True),
    "--cov-branch": ("--harness-cov-branch", False),
    "--cov-config": ("--harness-cov-config", True),
    "--cov-fail-under": ("--harness-cov-fail-under", True),
}

USAGE = """\
usage: harness run [--runtime node|chromium|firefox] [--pyodide VERSION | --dist-dir PATH]
                   [--with REQ]... [--requirements FILE]... [--timeout S] [--no-patches]
                   [-n N|auto]
                   [--cov[=SOURCE]]... [--cov-report TYPE]... [--cov-branch]
                   [--cov-config PATH] [--cov-fail-under PERCENT]
                   [--] [pytest args...]
       harness probe [--runtime node|chromium|firefox] [--pyodide V[,V...] | --dist-dir PATH] [--no-patches]
       harness doctor

Runs pytest inside Pyodide and reports on the host. Any argument not listed above is
passed to pytest unchanged. Exit codes are pytest's; 4 also means bad harness input."""


def split_run_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(plugin options, pytest args) from ``harness run`` arguments."""
    plugin: list[str] = []
    pytest_args: list[str] = []
    runtime_given = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            pytest_args.extend(argv[i + 1 :])
            break
        name, eq, value = arg.partition("=")
        if name in RUN_OPTIONS:
            target, takes_value = RUN_OPTIONS[name]
            runtime_given |= name == "--runtime"
            if takes_value == "optional":
                # argparse's nargs="?" (pytest-cov's --cov): a following non-option is the value
                if not eq and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                    value, eq = argv[i + 1], "="
                    i += 1
                plugin.append(f"{target}={value}" if eq else target)
            elif not takes_value:
                plugin.append(target)
            elif eq:
                plugin += [target, value]
            elif i + 1 < len(argv):
                plugin += [target, argv[i + 1]]
                i += 1
            else:
                raise HarnessError(f"{name} needs a value")
        else:
            pytest_args.append(arg)
        i += 1
    if not runtime_given:
        plugin += ["--harness-runtime", "node"]
    return plugin, pytest_args


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    """CI stops jobs with SIGTERM: end like Ctrl-C so reports and JUnit XML are written."""
    raise KeyboardInterrupt


def run(argv: Sequence[str]) -> int:
    import pytest

    plugin_args, pytest_args = split_run_args(argv)
    runtime_class(plugin_args[plugin_args.index("--harness-runtime") + 1])
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    return int(pytest.main(["-p", "harness.plugin", *plugin_args, *pytest_args]))


def probe_command(argv: Sequence[str]) -> int:
    from harness.commands.probe import probe

    plugin_args, extra = split_run_args(argv)
    probe_options = ("--runtime", "--pyodide", "--dist-dir", "--no-patches")
    extra += [a for a in argv if a.partition("=")[0] in RUN_OPTIONS and a.partition("=")[0] not in probe_options]
    if extra:
        raise HarnessError(f"harness probe does not take {extra[0]!r}")
    flags = [a for a in plugin_args if a == "--harness-no-patches"]
    values = [a for a in plugin_args if a not in flags]
    options = dict(zip(values[::2], values[1::2]))  # every other option takes one value
    runtime = options.get("--harness-runtime", "node")
    runtime_class(runtime)
    dist_dir = options.get("--harness-dist-dir")
    versions = (options.get("--harness-pyodide") or "").split(",") if not dist_dir else [""]
    return probe([v or None for v in versions], Path(dist_dir) if dist_dir else None, runtime, not flags)


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
        if command == "doctor":
            from harness.commands.doctor import doctor

            return doctor()
        raise HarnessError(f"unknown command {command!r}; use 'harness run' or 'harness doctor'")
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
