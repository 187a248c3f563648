"""Memory snapshots: a second run restores the saved heap and behaves exactly like the first.

Real runs through the CLI, each test with its own ``HARNESS_CACHE`` seeded with the real
cache's Pyodide distribution and site-packages (so nothing is downloaded and the first run
has no snapshot yet).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import PYODIDE_VERSIONS, Result, boot_kind, copy_project, run_harness, seeded_cache

from harness.runtimes import snapshot

pytestmark = pytest.mark.usefixtures("warm_dists")


def snapshots(cache: Path) -> list[Path]:
    folder = cache / "snapshots"
    return sorted(folder.glob("*.snap")) if folder.is_dir() else []


def outcome_lines(result: Result) -> list[str]:
    return sorted(line for line in result.stdout.splitlines() if "::" in line and "%]" in line)


@pytest.mark.parametrize("version", [*PYODIDE_VERSIONS, "0.27.4"])
def test_second_run_restores_the_snapshot_with_the_same_results(tmp_path: Path, version: str) -> None:
    cache = seeded_cache(tmp_path, version)
    project = copy_project("basic", tmp_path)
    env = {"HARNESS_CACHE": str(cache)}
    first = run_harness(project, "-v", "-p", "no:cacheprovider", pyodide=version, env=env)
    assert boot_kind(first) == "cold"
    assert len(snapshots(cache)) == 1
    second = run_harness(project, "-v", "-p", "no:cacheprovider", pyodide=version, env=env)
    assert boot_kind(second) == "snapshot"
    assert second.returncode == first.returncode == 1
    assert second.summary == first.summary
    assert "3 failed, 7 passed" in second.summary
    assert outcome_lines(second) == outcome_lines(first)
    assert not [p for p in (cache / "snapshots").iterdir() if p.name.startswith(".tmp-")]


PROBE_TEST = """
import json, os, sys, tempfile

def test_state():
    state = {
        "env": os.environ.get("SNAP_PROBE"),
        "cwd": os.getcwd(),
        "tmp": tempfile.gettempdir(),
        "umask": oct(os.umask(0o22)),
        "sys_path": sys.path,
        "argv0": os.path.basename(sys.argv[0]) if sys.argv else None,
    }
    with open(os.environ["SNAP_OUT"], "w") as f:
        json.dump(state, f)
"""


def test_per_run_state_is_reapplied_after_a_restore(tmp_path: Path) -> None:
    """Environment, cwd, temp dir, umask and sys.path come from the run, not the snapshot."""
    cache = seeded_cache(tmp_path, PYODIDE_VERSIONS[0])
    states = []
    for n in (1, 2):
        project = tmp_path / f"probe{n}"  # another directory: another cwd and sys.path
        project.mkdir()
        (project / "test_probe.py").write_text(PROBE_TEST)
        out = project / "state.json"
        env = {"HARNESS_CACHE": str(cache), "SNAP_PROBE": str(n), "SNAP_OUT": str(out)}
        result = run_harness(project, "-p", "no:cacheprovider", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert boot_kind(result) == ("cold" if n == 1 else "snapshot")
        states.append(json.loads(out.read_text()))
    cold, restored = states
    assert (cold["env"], restored["env"]) == ("1", "2")
    assert (cold["cwd"], restored["cwd"]) == (str(tmp_path / "probe1"), str(tmp_path / "probe2"))
    assert restored["sys_path"] == [entry.replace("probe1", "probe2") for entry in cold["sys_path"]]
    for key in ("tmp", "umask", "argv0"):
        assert restored[key] == cold[key], key


def test_a_damaged_snapshot_is_discarded_and_rebuilt(tmp_path: Path) -> None:
    """Flipped bytes in the heap (each other kind of damage is refused alike:
    tests/unit/test_snapshot_format.py)."""
    cache = seeded_cache(tmp_path, PYODIDE_VERSIONS[0])
    project = copy_project("basic", tmp_path)
    env = {"HARNESS_CACHE": str(cache)}
    first = run_harness(project, "-p", "no:cacheprovider", env=env)
    [snap] = snapshots(cache)
    data = bytearray(snap.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0x5A for b in data[middle : middle + 64])
    snap.write_bytes(data)

    second = run_harness(project, "-p", "no:cacheprovider", env=env)
    assert boot_kind(second) == "cold"
    assert "memory snapshot discarded" in second.stdout
    assert second.returncode == first.returncode
    assert second.summary == first.summary
    third = run_harness(project, "-p", "no:cacheprovider", env=env)
    assert boot_kind(third) == "snapshot"  # the second run saved a good one again
    assert third.summary == first.summary


def test_a_snapshot_from_another_build_is_discarded(tmp_path: Path) -> None:
    """Same file name, but the heap of another Pyodide: Pyodide's build check refuses it."""
    cache = seeded_cache(tmp_path, PYODIDE_VERSIONS[0])
    project = copy_project("basic", tmp_path)
    env = {"HARNESS_CACHE": str(cache)}
    first = run_harness(project, "-p", "no:cacheprovider", env=env)
    [snap] = snapshots(cache)
    other = seeded_cache(tmp_path / "other", PYODIDE_VERSIONS[1])
    run_harness(project, "-p", "no:cacheprovider", pyodide=PYODIDE_VERSIONS[1], env={"HARNESS_CACHE": str(other)})
    [foreign] = snapshots(other)
    # Re-label the foreign file with this run's key so that only the heap is wrong.
    shutil.copyfile(foreign, snap)
    second = run_harness(project, "-p", "no:cacheprovider", env=env)
    assert boot_kind(second) == "cold"
    assert "memory snapshot discarded" in second.stdout
    assert second.summary == first.summary


def test_disabled_by_environment(tmp_path: Path) -> None:
    cache = seeded_cache(tmp_path, PYODIDE_VERSIONS[0])
    project = copy_project("basic", tmp_path)
    env = {"HARNESS_CACHE": str(cache), "HARNESS_NO_SNAPSHOT": "1"}
    for _ in range(2):
        result = run_harness(project, "-p", "no:cacheprovider", env=env)
        assert boot_kind(result) == "cold"
        assert "3 failed, 7 passed" in result.summary
    assert snapshots(cache) == []


# -- the host-side decisions, without a runtime ------------------------------------------


def _document(tmp_path: Path, version: str = "314.0.7") -> dict[str, object]:
    source = tmp_path / "runner.py"
    if not source.exists():
        source.write_text("x = 1\n")
    return {
        "dist": str(tmp_path / "dist"),
        "pyodide_version": version,
        "sys_path": [str(tmp_path / "site")],
        "runtime_root": "/harness-runtime",
        "files": [["/harness-runtime/harness/inside/runner.py", str(source)]],
    }


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        ("0.25.1", False),
        ("0.26.4", True),
        ("0.27.4", True),
        ("0.29.5", True),
        ("314.0.7", True),
        ("315.0.0-alpha.2", True),
        ("local", False),
    ],
)
def test_supported_versions(version: str, ok: bool) -> None:
    assert snapshot.supported(version) is ok


def test_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(snapshot.ENV_DISABLE, raising=False)
    doc = _document(tmp_path)
    plan = snapshot.plan(doc, "node 20")
    assert plan is not None and plan["load"] is False
    assert Path(plan["path"]).parent == tmp_path / "cache" / "snapshots"
    Path(plan["path"]).write_bytes(b"x")
    assert snapshot.plan(doc, "node 20")["load"] is True  # type: ignore[index]
    assert snapshot.plan(_document(tmp_path, "0.25.1"), "node 20") is None
    monkeypatch.setenv(snapshot.ENV_DISABLE, "1")
    assert snapshot.plan(doc, "node 20") is None


def test_key_follows_its_inputs(tmp_path: Path) -> None:
    doc = _document(tmp_path)
    base = snapshot.key(doc, "node 20")
    assert snapshot.key(doc, "node 20") == base
    assert snapshot.key(doc, "node 22") != base  # node major
    assert snapshot.key(_document(tmp_path, "0.29.5"), "node 20") != base
    assert snapshot.key({**doc, "sys_path": [str(tmp_path / "other")]}, "node 20") != base
    (tmp_path / "runner.py").write_text("x = 2\n")  # runtime-side code changed
    assert snapshot.key(doc, "node 20") != base


def test_prune_keeps_the_most_recent(tmp_path: Path) -> None:
    import os
    import time

    now = time.time()
    for i in range(8):
        p = tmp_path / f"{i}.snap"
        p.write_bytes(b"x")
        os.utime(p, (now - 100 + i, now - 100 + i))
    stale = tmp_path / ".tmp-1-old.snap"
    stale.write_bytes(b"x")
    os.utime(stale, (now - 3600, now - 3600))
    fresh = tmp_path / ".tmp-2-new.snap"
    fresh.write_bytes(b"x")
    snapshot.prune(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-2-new.snap", "6.snap", "7.snap"]
