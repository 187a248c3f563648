"""The runtime's main program: prepare the interpreter, then serve host commands.

Called by ``browsers/boot.mjs`` once Pyodide is up and this package has been copied in.
The order matters: the process state (umask, environment, cwd, sys.path) and the runtime
patches must be in place before a pytest session starts, because pytest's capture and cache
code touch the file system as soon as it does.

``preload`` (run first, before anything per-run) imports pytest, its default plugins and
our own runtime-side modules from site-packages and then puts ``sys.path`` back. That state
is what a memory snapshot saves (see ``harness/snapshot.py``): a restored runtime continues
from exactly there, so ``serve`` then does the same on a cold boot and after a restore.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from harness.inside import protocol

if TYPE_CHECKING:
    from harness.inside.reporter import EventPlugin
    from wasm_patches.contract import PatchResult

Send = Callable[..., None]  # (line) or (line, hold): see EventPlugin.emit
Recv = Callable[[], "str | None"]
Flush = Callable[[], None]


def prepare_process(boot: dict[str, Any]) -> None:
    """Make the interpreter look like the host's for the project: env, cwd, umask, path."""
    for name in boot.get("unset_env", []):
        os.environ.pop(name, None)
    os.environ.update(boot["env"])
    # Pyodide <= 0.27 starts with umask 0o777, so every file a test creates on the host
    # mount would get mode 000; use the host's.
    os.umask(boot["umask"])
    for path in reversed(boot["sys_path"]):
        sys.path.insert(0, path)
    # The working directory is importable, as under ``python -m pytest``: Pyodide >= 0.28
    # puts "" on sys.path, older ones their start directory (its HOME), which would make
    # the same project import differently depending on the version.
    start_dir = os.getcwd()
    sys.path[:] = ["" if p == start_dir else p for p in sys.path]
    if "" not in sys.path:
        sys.path.insert(len(boot["sys_path"]), "")
    os.chdir(boot["cwd"])
    os.environ["PWD"] = boot["cwd"]
    if boot.get("pycache_prefix"):
        # Keep bytecode (and pytest's rewritten test modules) across runs, as natively.
        sys.pycache_prefix = boot["pycache_prefix"]
        sys.dont_write_bytecode = False


def apply_patches(boot: dict[str, Any]) -> tuple[list[PatchResult], str]:
    """Probe the runtime's known defects and fix those present (unless --no-patches)."""
    import wasm_patches

    results = wasm_patches.apply_all(enabled=boot["patches"], nodefs_dirs=boot["probe_dirs"])
    return results, wasm_patches.summary(results)


def compat_plugins(boot: dict[str, Any]) -> list[object]:
    """The ``pytest_pyodide`` stand-in (``harness/inside/compat``), for a suite that uses
    pytest-pyodide (the host found it in its files): made importable (after everything else
    on ``sys.path``, so it shadows nothing), told the runtime's name, and its plugin modules
    returned for every session, as pytest-pyodide's entry point would load them."""
    if not boot.get("pytest_pyodide"):
        return []
    import importlib

    compat = os.path.join(boot["runtime_root"], "harness", "inside", "compat")
    if compat not in sys.path:
        sys.path.append(compat)
    import pytest_pyodide
    from pytest_pyodide import _state

    _state.configure(boot.get("runtime", "node"), boot.get("mounts", []))
    return [importlib.import_module(name) for name in pytest_pyodide.PLUGINS]


class UsageProblem(Exception):
    """The runtime's pytest rejected the arguments or could not import a conftest (exit 4)."""


@contextlib.contextmanager
def _pytest_version_env() -> Iterator[None]:
    """``PYTEST_VERSION`` is set while a session is prepared and run, as ``pytest.main`` does."""
    import pytest

    previous = os.environ.get("PYTEST_VERSION")
    os.environ["PYTEST_VERSION"] = pytest.__version__
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYTEST_VERSION", None)
        else:
            os.environ["PYTEST_VERSION"] = previous


class Session:
    """One pytest session: prepared (conftests and plugins imported, arguments parsed) by
    ``describe`` or ``run``, then run once; ``pytest.main`` minus its printing of usage
    errors, which the host prints instead."""

    def __init__(self, args: list[str], plugin: EventPlugin, coverage: Any, extra: list[object]) -> None:
        import pytest

        from harness.inside import pytest_compat

        self.args = args
        self.plugin = plugin
        self.coverage = coverage
        try:
            with _pytest_version_env():
                self.config = pytest_compat.prepare_config(args, [plugin, *extra])
        except pytest_compat.conftest_import_failure() as exc:
            cause = "".join(traceback.format_exception_only(type(exc.cause), exc.cause)).strip()
            raise UsageProblem(f"ImportError while loading conftest '{exc.path}' in the runtime: {cause}") from None
        except pytest.UsageError as exc:
            raise UsageProblem(" ".join(str(arg) for arg in exc.args)) from None

    def described(self, project_files: list[str]) -> protocol.Described:
        from harness.inside import pytest_compat

        return protocol.Described(
            type="described",
            options=pytest_compat.option_specs(self.config),
            ini=pytest_compat.ini_specs(self.config),
            project_files=project_files,
        )

    def run(self) -> int:
        """The exit status; a usage error raised by the session is ``UsageProblem``."""
        import pytest

        from harness.inside import pytest_compat

        try:
            with _pytest_version_env():
                try:
                    return int(self.config.hook.pytest_cmdline_main(config=self.config))
                finally:
                    pytest_compat.unconfigure(self.config)
        except pytest.UsageError as exc:
            raise UsageProblem(" ".join(str(arg) for arg in exc.args)) from None


def start_coverage(options: dict[str, Any] | None) -> tuple[Any, str | None]:
    """(a started ``CoverageStream`` or None, else the one-line reason it cannot start)."""
    if not options:
        return None, None
    from harness.inside.coverage_stream import CoverageStream

    try:
        stream = CoverageStream(options)
        stream.start()
    except ImportError as exc:
        if "sqlite3" in str(exc):
            return None, (
                "coverage.py needs sqlite3, which this Pyodide distribution does not include "
                "(the sqlite3-for-coverage patch is off: --no-patches)"
            )
        return None, f"coverage.py cannot be imported in the runtime: {exc}"
    except Exception as exc:  # noqa: BLE001 - coverage's own ConfigError and the like
        return None, f"coverage cannot start in the runtime: {type(exc).__name__}: {exc}"
    return stream, None


_SESSION_IMPORTS = (
    "_pytest._argcomplete",
    "pdb",
    "email.parser",
    "email.message",
    "importlib.metadata._adapters",
    "importlib.metadata._text",
    "urllib.parse",
    "ipaddress",
)

# Set by ``preload``: the snapshot key it ran for and ``sys.path`` as it found it.
_PRELOADED: dict[str, Any] = {}


def preload(options_json: str) -> None:
    """Import everything every run needs and that depends on nothing per-run.

    pytest with its default plugins (imported by each session anyway), the modules the
    command loop uses, and the runtime patches (imported only; ``apply_all`` runs later, in
    ``serve``, because patches install JS-side wrappers that a snapshot cannot hold).
    ``sys.path`` is restored afterwards; ``prepare_process`` adds site-packages again.
    ``options_json``: ``{"sys_path": [site-packages dirs], "key": snapshot key or ""}``
    (a JSON string, so that no JS object is referenced from Python when the heap is saved).
    """
    import importlib
    import inspect
    import tempfile

    options = json.loads(options_json)
    base = list(sys.path)
    for path in reversed(options["sys_path"]):
        sys.path.insert(0, path)
    try:
        import pytest  # noqa: F401

        from harness.inside import pytest_compat

        # Its default plugins, and what a session imports lazily (entry-point metadata is
        # parsed with email.*, --pdb support, argcomplete): measured on pytest 9.2.
        for name in [*pytest_compat.default_plugin_modules(), *_SESSION_IMPORTS]:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S110 - a session imports it again and reports it
                pass
        import wasm_patches

        wasm_patches._registry()
        import harness.inside.reporter  # noqa: F401

        # pytest shows a failure's source through inspect.getmodule, which first maps the
        # file of every imported module (realpath: an lstat per path component, 0.2-0.35 s
        # in Pyodide). Mapped now, the map is in the snapshot, and a run's first failure
        # (watch mode's first result, with the last failures first) maps only the modules
        # imported since.
        inspect.getmodule(preload.__code__)
    finally:
        sys.path[:] = base
    # Nothing per-run may be frozen into a snapshot: the temp dir is chosen from TMPDIR.
    tempfile.tempdir = None
    _PRELOADED.update(key=options.get("key", ""), sys_path=base)


def preloaded_key() -> str | None:
    """The key ``preload`` ran for (checked after a snapshot restore), None if it did not."""
    return _PRELOADED.get("key")


def restored() -> None:
    """After a snapshot restore: undo what Pyodide's own start-up did again on top of the
    saved heap (it prepends ``""`` to ``sys.path`` on every load), and give ``random`` a
    fresh seed as a new process would have (the saved one would repeat in every run).

    The ``str`` hash seed cannot be renewed (the saved dicts depend on it): restored runs
    share the seed of the run that saved the snapshot, as under a fixed PYTHONHASHSEED.
    """
    base = _PRELOADED.get("sys_path")
    if base is not None:
        sys.path[:] = base
    if "random" in sys.modules:
        sys.modules["random"].seed()


def import_wheels(wheel_imports: list[dict[str, Any]]) -> list[protocol.WheelImport]:
    """Import each ``--wheel``'s top-level modules now, from site-packages.

    This is what makes the suite test the wheel and not the source tree beside it: a module
    in ``sys.modules`` is what every later ``import`` returns, whatever pytest then puts in
    front of ``sys.path`` (rootdir, a conftest's directory, ``pythonpath``). Its submodules
    are found through the package's ``__path__``, which points into site-packages too.
    """
    import importlib

    imported = []
    for entry in wheel_imports:
        for module in entry["modules"]:
            try:
                file = str(getattr(importlib.import_module(module), "__file__", None) or "")
                error = ""
            except Exception as exc:  # noqa: BLE001 - reported in the header, the tests then fail on it
                file, error = "", f"{type(exc).__name__}: {exc}"
            imported.append(protocol.WheelImport(wheel=entry["wheel"], module=module, file=file, error=error))
    return imported


_EXTENSION_SOURCES = (".pyx", ".c", ".cpp", ".cc")


def tree_packages(roots: list[str]) -> list[protocol.TreePackage]:
    """Top-level packages imported from under ``roots`` (the project) whose directory has
    extension sources (``X.pyx``, ``X.c``) but no compiled ``X.*.so`` beside them: the run
    exercised a pure-Python fallback, not the compiled code a wheel would have."""
    found = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__path__", None)
        if "." in name or not path:
            continue
        directory = os.path.realpath(list(path)[0])
        if not any(directory.startswith(os.path.realpath(root) + os.sep) for root in roots):
            continue
        try:
            files = os.listdir(directory)
        except OSError:
            continue
        built = {f.split(".", 1)[0] for f in files if ".so" in f}
        missing = sorted({f.rsplit(".", 1)[0] for f in files if f.endswith(_EXTENSION_SOURCES)} - built)
        missing = [m for m in missing if f"{m}.py" not in files]
        if missing:
            found.append(protocol.TreePackage(name=name, path=directory, missing=missing))
    return found


def project_files(boot: dict[str, Any]) -> list[str]:
    """Files of the imported modules that come from the host's mounts (the project), not
    from its site-packages or the patches' scratch space."""
    outside = [*boot["sys_path"], *boot["probe_dirs"]]
    roots = [os.path.join(path, "") for path in boot["mounts"] if path not in outside]
    outside = [os.path.join(path, "") for path in outside]
    files = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.startswith(tuple(roots)) and not file.startswith(tuple(outside)):
            files.add(file)
    return sorted(files)


def _uptime_ms() -> float:
    """Milliseconds since the runtime process/page started (JS ``performance.now()``)."""
    from js import performance

    return float(performance.now())


def serve(
    boot_json: str, send: Send, recv: Recv, flush: Flush | None = None, session_end: Callable[[], None] | None = None
) -> None:
    """Boot, announce ``ready``, then run one pytest session per ``run`` command.

    ``flush`` is the channel's, where it can hold events (see ``EventPlugin.emit``);
    ``session_end``, the runtime's, is called after each session, before its ``done`` (a
    browser hands its bytecode back then: every result is out, and the host, which closes
    the runtime once it has ``done``, cannot close it before that is over)."""
    boot = json.loads(boot_json)
    prepare_process(boot)
    patches, patch_summary = apply_patches(boot)
    # Again, now through the patches: where the runtime's own umask call remembers nothing
    # (browsers), the umask-on-create wrapper holds it.
    os.umask(boot["umask"])

    import pytest

    wheels = import_wheels(boot.get("wheel_imports", []))

    # Everything of ours is imported: keep our directory off the project's import path.
    if boot["runtime_root"] in sys.path:
        sys.path.remove(boot["runtime_root"])

    send(
        protocol.encode(
            protocol.Ready(
                type="ready",
                pyodide=boot.get("pyodide_version", ""),
                python=sys.version.split()[0],
                platform=sys.platform,
                pytest=pytest.__version__,
                patches=patches,
                patch_summary=patch_summary,
                notes=list(boot.get("boot_notes", [])),
                boot_ms=round(_uptime_ms()),
                boot=boot.get("boot_kind", "cold"),
                wheels=wheels,
            )
        )
    )
    prepared: Session | None = None
    while True:
        line = recv()
        if line is None:  # the host is gone
            return
        command = protocol.decode_command(line)
        if command["type"] == "exit":
            return
        if command["type"] not in ("describe", "run"):
            raise protocol.ProtocolError(f"{command['type']!r} outside a session")
        try:
            if prepared is None or prepared.args != command["args"]:
                prepared = _prepare(boot, command["args"], send, recv, flush)
            if command["type"] == "describe":
                send(protocol.encode(prepared.described(project_files(boot))))
                continue
            session, prepared = prepared, None
            session.plugin.report_collection = command["report_collection"]
            session.plugin.groups = command["groups"]
            started = time.perf_counter()
            status = _run(session)
            took = time.perf_counter() - started
        except UsageProblem as exc:
            prepared = None
            send(protocol.encode(protocol.Error(type="error", kind="usage", message=str(exc))))
            status, took = 4, 0.0
        tree = tree_packages([boot["cwd"]]) if status != 4 else []
        if session_end is not None:
            session_end()
        send(protocol.encode(protocol.Done(type="done", exitstatus=status, tree_packages=tree, session_s=took)))


def _prepare(boot: dict[str, Any], args: list[str], send: Send, recv: Recv, flush: Flush | None) -> Session:
    """A session for ``args``, with coverage measuring from before conftests are imported."""
    from harness.inside.reporter import EventPlugin

    stream, coverage_error = start_coverage(boot.get("coverage"))
    if coverage_error is not None:
        raise UsageProblem(coverage_error)
    hold = boot.get("hold_events", True) and flush is not None
    plugin = EventPlugin(send, recv, coverage=stream, flush=flush if hold else None)
    return Session(args, plugin, stream, compat_plugins(boot))


def _run(session: Session) -> int:
    try:
        return session.run()
    finally:
        if session.coverage is not None:
            session.plugin.emit_coverage(session.coverage.finish())
