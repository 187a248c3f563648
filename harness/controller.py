"""The host-side controller: boots a runtime, sends it the run, replays what comes back.

Registered as a plugin on the host's pytest session (the role pytest-xdist's DSession
plays): it stops local collection, and its ``pytest_runtestloop`` is the single main loop
that takes events off the queue and hands them to the replayer. How the session ends
(exit status 0-5) is decided by the same pytest machinery as natively: counters fed by the
replayed reports, or the exception the runtime's session ended with, raised again here.
"""

from __future__ import annotations

import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

import pytest

from harness import invocation, limitations
from harness.cache import write_value
from harness.collector import EventQueue
from harness.coverage_sink import CoverageSettings
from harness.errors import HarnessError
from harness.replay import Replayer
from harness.runtimes import runtime_class
from harness.prepare import Settings, boot_config
from harness.runtimes.base import BootConfig, Runtime, fatal_headline, strip_js_stack, wait_ready

WORKER_ID = "rt0"


def settings_from(config: pytest.Config) -> Settings:
    """The ``--harness-*`` options of this pytest invocation."""
    dist_dir = config.getoption("harness_dist_dir")
    return Settings(
        runtime=config.getoption("harness_runtime"),
        pyodide=config.getoption("harness_pyodide"),
        dist_dir=Path(dist_dir) if dist_dir else None,
        with_packages=tuple(config.getoption("harness_with") or ()),
        requirements=tuple(Path(p) for p in config.getoption("harness_requirements") or ()),
        patches=not config.getoption("harness_no_patches"),
        timeout=config.getoption("harness_timeout"),
        coverage=coverage_settings_from(config),
    )


def coverage_settings_from(config: pytest.Config) -> CoverageSettings | None:
    """The ``--harness-cov*`` options; None without ``--harness-cov``."""
    sources = config.getoption("harness_cov") or []
    if not sources:
        return None
    config_file = config.getoption("harness_cov_config")
    return CoverageSettings(
        sources=tuple(s for s in sources if isinstance(s, str) and s),
        reports=tuple(config.getoption("harness_cov_report") or ()),
        branch=config.getoption("harness_cov_branch"),
        config_file=Path(config_file) if config_file else None,
        fail_under=config.getoption("harness_cov_fail_under"),
    )


def session_boot_config(config: pytest.Config, settings: Settings) -> BootConfig:
    """Boot description for this pytest invocation: its directory, rootdir and path args."""
    return boot_config(
        settings,
        cwd=Path(config.invocation_params.dir),
        paths=[config.rootpath],
        args=invocation.strip_harness_args(config.invocation_params.args),
    )


class Controller:
    """Owns one runtime for the session and turns its events into host hook calls."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        boot: BootConfig,
        on_coverage: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.config = config
        self.on_coverage = on_coverage
        self.settings = settings
        self.boot = boot
        self.events = EventQueue()
        self.runtime: Runtime = runtime_class(settings.runtime)(boot, self.events, WORKER_ID)
        self.ready: dict[str, Any] = {}
        self.replayer: Replayer | None = None
        self.restarts = 0
        self.unattributed_crashes: list[str] = []
        self.args = [
            a for a in invocation.strip_harness_args(config.invocation_params.args)
            if a != "--cache-clear"  # the host cleared it already; the runtime never writes
        ]

    # -- boot -------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Boot before the terminal prints its header, so the header can describe the runtime."""
        try:
            self.runtime.start()
            self.ready = wait_ready(self.runtime)
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
        running = ".".join(str(self.ready.get("python", "")).split(".")[:2])
        if running != self.boot.dist.python_xy:
            # Lock metadata is not always right; the interpreter is. Wheels were resolved
            # for the lock's version, so a mismatch must stop the run, not confuse it.
            self.runtime.kill()
            raise pytest.UsageError(
                f"pyodide-lock.json says Python {self.boot.dist.python} but the runtime runs "
                f"{self.ready.get('python')}; use a distribution whose lock file matches"
            )

    def pytest_report_header(self) -> list[str]:
        d = self.boot.dist
        r = self.ready
        return [
            f"harness: {self.runtime.name} runtime, Pyodide {d.version} "
            f"(Python {r.get('python', d.python)}, {d.platform}, {d.arch}"
            + (f", abi {d.abi_version}" if d.abi_version else "")
            + f"), pytest {r.get('pytest', '?')} inside, ready in {r.get('boot_ms', 0) / 1000:.1f} s"
            + (f" ({r['boot']} boot)" if r.get("boot") else ""),
            f"harness: {r.get('patch_summary', 'patches: unknown')}",
            *(f"harness: {note}" for note in r.get("notes", [])),
        ]

    # -- the run ----------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self) -> bool:
        return True  # the runtime collects; its reports are replayed

    def pytest_report_collectionfinish(self) -> list[str]:
        return self.replayer.collectionfinish_lines if self.replayer else []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        self.replayer = Replayer(session)
        ending = self._serve(only=None)
        while "crash" in ending and self._resumable(session):
            self._note(f"{ending.pop('crash')}; restarting the runtime")
            self._restart()
            self.replayer.resume()
            ending = self._serve(only=self.replayer.remaining())
        self._end(session, ending)
        return True

    def _serve(self, only: list[str] | None) -> dict[str, Any]:
        """Run one pytest session in the current runtime; replay its events as they come.

        Returns how it ended: empty for a normal end, else any of ``crash`` (the runtime
        died or was stopped: a summary line), ``interrupted``, ``error`` (events).
        """
        assert self.replayer is not None
        replayer = self.replayer
        fields = {"only": only} if only is not None else {}
        self.runtime.send("run", args=self.args, **fields)
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        writer = terminal._tw if terminal is not None else None
        ending: dict[str, Any] = {}
        while True:
            got = self.events.get(timeout=0.25)
            if got is None:
                overdue = self._overdue()
                if overdue is not None:
                    self.runtime.kill()
                    nodeid = replayer.fail_running(
                        f"timed out after {overdue:g} s; the host stopped the runtime "
                        "(Pyodide cannot interrupt a running test) and restarted it"
                    )
                    ending["crash"] = f"{nodeid} timed out after {overdue:g} s"
                    return ending
                continue
            worker, event = got
            if worker != self.runtime.worker_id:
                continue  # a stopped runtime's last words
            kind = event["type"]
            if kind == "done":
                return ending
            if kind == "eof":
                ending["crash"] = self._crashed(ending.pop("fatal", {}).get("message", ""))
                return ending
            if kind == "error" and event["kind"] == "fatal":
                ending["fatal"] = event  # the end of the stream follows; report it then
            elif kind in ("interrupted", "error"):
                ending[kind] = event
            elif kind == "cache_set":
                self._cache_set(event["key"], event["value"])
            elif kind == "coverage":
                if self.on_coverage is not None:
                    self.on_coverage(event)
            elif kind != "ready":
                replayer.handle(event)
                if writer is not None and self.events.empty():
                    writer.flush()  # live even when stdout is a pipe (CI logs), batched in bursts

    def _overdue(self) -> float | None:
        """The running test's time limit if it has been exceeded (``--timeout`` or marker)."""
        assert self.replayer is not None
        limit = self.replayer.running_timeout or self.settings.timeout
        if self.replayer.running is None or not limit:
            return None
        return limit if time.monotonic() - self.replayer.running_since > limit else None

    def _crashed(self, fatal: str) -> str:
        """Blame the running test for the runtime's death; the summary line for the terminal."""
        assert self.replayer is not None
        description = self.runtime.exit_description()
        cause = fatal_headline(fatal) or description.splitlines()[0]
        details = "\n".join(filter(None, [description, strip_js_stack(fatal)]))
        running = self.replayer.running[0] if self.replayer.running else None
        if running is None:
            where = "between tests" if self.replayer.collection_done else "during collection"
            self.unattributed_crashes.append(f"runtime exited unexpectedly {where}: {cause}")
            return self.unattributed_crashes[-1]
        self.replayer.fail_running(f"runtime exited unexpectedly while running {running}\n{details}")
        return f"runtime exited unexpectedly while running {running}: {cause}"

    def _resumable(self, session: pytest.Session) -> bool:
        """Whether a restart makes sense: collection done, tests left, no -x/--maxfail stop."""
        assert self.replayer is not None
        return (
            self.replayer.collection_done
            and bool(self.replayer.remaining())
            and not session.shouldfail
            and not session.shouldstop
        )

    def _restart(self) -> None:
        """Replace the dead runtime with a fresh one (a new worker id: late events of the
        old one are ignored)."""
        self.runtime.kill()
        self.restarts += 1
        worker_id = f"{WORKER_ID}.{self.restarts}"
        self.runtime = runtime_class(self.settings.runtime)(self.boot, self.events, worker_id)
        try:
            self.runtime.start()
            wait_ready(self.runtime)
        except HarnessError as exc:
            raise pytest.exit.Exception(f"could not restart the runtime: {exc}", returncode=3) from None

    def _cache_set(self, key: str, value: object) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is None or key == "cache/lastfailed":
            return  # lastfailed: the host's own LFPlugin computes it from the replayed reports
        write_value(cache, key, value)

    def _note(self, message: str) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_sep("!", message, red=True)

    def _end(self, session: pytest.Session, ending: dict[str, Any]) -> None:
        """Raise what the runtime's session ended with, so the host ends the same way."""
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        error = ending.get("error")
        if error and error["kind"] == "usage":
            raise pytest.UsageError(error["message"])
        if error:
            if terminal is not None:
                for line in str(error["message"]).splitlines():
                    terminal.write_line(f"INTERNALERROR> {line}")
            raise pytest.exit.Exception(f"{error['kind']} error inside the runtime", returncode=3)
        if "crash" in ending:
            self._note(ending["crash"])
            assert self.replayer is not None
            if not self.replayer.collection_done:
                raise session.Interrupted(ending["crash"])
        if self.unattributed_crashes and not session.shouldfail:
            raise session.Failed(self.unattributed_crashes[-1])
        interrupted = ending.get("interrupted")
        if interrupted and interrupted["kind"] == "exit":
            raise pytest.exit.Exception(interrupted["message"], returncode=interrupted["returncode"])
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if interrupted:
            raise session.Interrupted(interrupted["message"])
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Say how many failures are WebAssembly limitations rather than the project's bugs."""
        hints = self.replayer.limitation_hints if self.replayer else {}
        if not hints:
            return
        failed = {r.nodeid for key in ("failed", "error") for r in terminalreporter.stats.get(key, [])}
        head, *lines = limitations.summarize(hints, failed=len(failed))
        terminalreporter.write_sep("=", head, yellow=True)
        for line in lines:
            terminalreporter.write_line(line)

    # -- teardown ---------------------------------------------------------------------

    def pytest_sessionfinish(self) -> None:
        if self.runtime.alive():
            self.runtime.send("exit")
        self.runtime.kill()

    def pytest_unconfigure(self) -> None:
        self.runtime.kill()
        self.boot.cleanup()
