"""From harness settings to a ``BootConfig``: distribution, wheels, mounts, environment.

Shared by the pytest controller (``harness run``) and ``harness probe`` so both boot the
runtime exactly the same way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from pytest import __version__ as pytest_version

from harness.errors import HarnessError
from harness.options import Settings
from harness.provision import distribution as dist
from harness.provision import invocation, resolve, wheels
from harness.provision import lock as lockfile
from harness.provision.store import cache_root
from harness.runtimes import runtime_class
from harness.runtimes.base import RUNTIME_ROOT, BootConfig


def base_requirements(named: Sequence[str], coverage: bool = False) -> list[str]:
    """The host's own pytest (and, with ``--cov``, coverage) version, unless the user names it.

    The same pytest on both sides keeps node ids (parametrize id rules change between
    releases) and the serialized report format identical to what the host expects; the
    same coverage.py measures exactly what the host's reports assume.
    """
    names = set()
    for requirement in named:
        try:
            names.add(canonicalize_name(Requirement(requirement).name))
        except InvalidRequirement:
            raise HarnessError(f"invalid requirement {requirement!r} for --with") from None
    pins = {"pytest": pytest_version}
    if coverage:
        from coverage import __version__ as coverage_version

        pins["coverage"] = coverage_version
    return [f"{name}=={version}" for name, version in pins.items() if name not in names]


def request_for(settings: Settings, distribution: dist.Distribution) -> resolve.Request:
    """What to resolve for ``distribution``: the user's requirements and files, the lock, the tags."""
    for requirement in settings.with_packages:
        if requirement.strip().startswith("-"):
            raise HarnessError(f"requirement {requirement!r} looks like a pip option; put it in a requirements file")
    paths = [Path(w).expanduser() for w in settings.with_packages if resolve.is_path(w)]
    for path in paths:
        if not path.is_file():
            raise HarnessError(f"--with {path}: no such file")
    requirements = tuple(w for w in settings.with_packages if not resolve.is_path(w))
    return resolve.Request(
        tags=distribution.tags,
        python_full=distribution.python,
        label=f"Pyodide {distribution.version}",
        requirements=requirements,
        base=tuple(base_requirements(requirements, coverage=settings.coverage is not None)),
        wheels=(*settings.wheels, *(p.absolute() for p in paths)),
        find_links=settings.find_links,
        requirement_files=settings.requirements,
        lock=lockfile.read(distribution.path / "pyodide-lock.json"),
        package_url=lockfile.base_url(distribution.version, settings.package_url),
        dist_dir=distribution.path if settings.dist_dir else None,
    )


def site_for(version: str | None = None, **settings: object) -> wheels.Site:
    """The site-packages ``harness run --pyodide version`` with these settings would use
    (tests and benchmarks; ``settings`` are ``Settings`` fields)."""
    chosen = Settings(pyodide=version, **settings)  # type: ignore[arg-type]
    return wheels.site_packages(request_for(chosen, dist.resolve(version, chosen.dist_dir)))


def scratch_dir() -> Path:
    """A private host directory mounted into the runtime for the patches' NODEFS probes,
    so probing never creates files in the user's project."""
    return Path(tempfile.mkdtemp(prefix="harness-scratch-"))


def with_fresh_scratch(boot: BootConfig) -> BootConfig:
    """``boot`` with a scratch directory of its own, for runtimes that outlive the session
    whose boot they copy (watch mode's standby): that session removes its own at its end."""
    old = set(boot.probe_dirs)
    scratch = scratch_dir()
    return dataclasses.replace(boot, mounts=(*(m for m in boot.mounts if m not in old), scratch), probe_dirs=(scratch,))


def bytecode_cache() -> Path | None:
    """The host directory the runtime keeps its bytecode in (None if it cannot be made).

    Pyodide starts with ``sys.dont_write_bytecode`` set, so pytest would rewrite the
    assertions of every test module on every run (a third of the runtime's time on a suite of
    small tests); natively pytest keeps the rewritten modules in ``__pycache__``. The runtime
    writes them, and other modules' bytecode, under this ``sys.pycache_prefix`` instead: it
    persists across runs, and nothing lands in the project. The file names carry the Python
    version (and pytest's for rewritten tests), and both pytest and importlib check the
    source's mtime and size before using one, so versions and edits never mix.
    """
    path = cache_root() / "pycache"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return path


def drop_bytecode(cache: Path, sources: Iterable[Path]) -> None:
    """Remove what ``cache`` (``bytecode_cache()``) holds for ``sources``: watch mode does it
    for the files that changed before it runs them again. Bytecode is reused while its
    source's size and mtime in whole seconds match, so a file saved twice within a second
    at the same size would otherwise run as it was before the second save. The layout is
    ``sys.pycache_prefix``'s (importlib's and pytest's alike): the source's directory below
    the prefix, then ``NAME.TAG.pyc``."""
    for source in sources:
        folder = cache / source.parent.relative_to(source.anchor)
        for compiled in folder.glob(f"{glob.escape(source.stem)}.*.pyc"):
            with contextlib.suppress(OSError):
                compiled.unlink()


def boot_config(settings: Settings, cwd: Path, paths: Sequence[Path], args: Sequence[str] = ()) -> BootConfig:
    """Resolve the distribution and wheels (downloading once) and describe the boot.

    ``paths`` are host directories the run needs (project, rootdir); ``args`` the pytest
    arguments, whose existing paths are mounted too.
    """
    launch = runtime_class(settings.runtime).launch_plan(settings.launch)
    distribution = dist.resolve(settings.pyodide, settings.dist_dir)
    cov = settings.coverage
    request = request_for(settings, distribution)
    request, notes = with_split_stdlib(request)
    site = wheels.site_packages(request)
    scratch = scratch_dir()
    config_files = [cov.config_file.resolve()] if cov and cov.config_file else []
    mounts = invocation.mount_points([cwd, *paths, site.path, *invocation.path_args(args, cwd), *config_files])
    extra: dict[str, Any] = {}
    if cov is not None:
        # Never measure the harness's own runtime code or the runtime's site-packages.
        extra["coverage"] = cov.runtime_options(cwd, omit=[f"{RUNTIME_ROOT}/*", f"{site.path}/*"])
    if settings.timeout:
        # The host stops a runtime that overruns without asking it: it must have seen every
        # report so far to blame the right phase (see EventPlugin.emit).
        extra["hold_events"] = False
    env, unset = invocation.runtime_env(dict(os.environ))
    return BootConfig(
        dist=distribution,
        site_packages=site.path,
        dynlibs=tuple(site.dynlibs),
        wheel_imports=tuple(site.wheel_imports()),
        lib_files=tuple(site.lib_files),
        cwd=cwd,
        mounts=(*mounts, scratch),
        probe_dirs=(scratch,),
        env=env,
        unset_env=unset,
        umask=invocation.host_umask(),
        patches=settings.patches,
        extra=extra,
        notes=notes,
        launch=launch,
        pycache=bytecode_cache(),
    )


def with_split_stdlib(request: resolve.Request) -> tuple[resolve.Request, tuple[str, ...]]:
    """Add the stdlib modules this Pyodide ships as lock packages, as natively they are just
    there: each one whose files can be had (cached, in a full --dist-dir, or from the lock's
    URL). Those that cannot are left out and named in the header; importing one then fails
    with a hint saying how to get it."""
    if request.lock is None:
        return request, ()
    lock = request.lock
    named = {canonicalize_name(Requirement(r).name) for r in request.requirements}
    loaded, missing = [], []
    for module in lockfile.split_stdlib(lock):
        if module.name in named:
            continue
        try:
            for package in lock.closure(module.name):
                lockfile.fetch(package, request.package_url, request.dist_dir, request.label)
        except HarnessError:
            missing.append(module.name)
            continue
        loaded.append(module.name)
    notes = []
    if loaded:
        notes.append(f"split-out stdlib modules loaded: {', '.join(sorted(loaded))}")
    if missing:
        notes.append(
            f"split-out stdlib modules not available (Pyodide's lock files unreachable, none cached): "
            f"{', '.join(sorted(missing))}"
        )
    return dataclasses.replace(request, requirements=(*request.requirements, *sorted(loaded))), tuple(notes)
