"""From harness settings to a ``BootConfig``: distribution, wheels, mounts, environment.

Shared by the pytest controller (``harness run``) and ``harness probe`` so both boot the
runtime exactly the same way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from pytest import __version__ as pytest_version

from harness.errors import HarnessError
from harness.options import Settings
from harness.provision import distribution as dist
from harness.provision import invocation, wheels
from harness.runtimes import runtime_class
from harness.runtimes.base import RUNTIME_ROOT, BootConfig


def runtime_requirements(with_packages: Sequence[str], coverage: bool = False) -> list[str]:
    """The user's requirements, plus the host's own pytest (and, with ``--cov``, coverage)
    version unless they pin it themselves.

    The same pytest on both sides keeps node ids (parametrize id rules change between
    releases) and the serialized report format identical to what the host expects; the
    same coverage.py measures exactly what the host's reports assume.
    """
    names = set()
    for requirement in with_packages:
        try:
            names.add(canonicalize_name(Requirement(requirement).name))
        except InvalidRequirement:
            raise HarnessError(f"invalid requirement {requirement!r} for --with") from None
    pins = {"pytest": pytest_version}
    if coverage:
        from coverage import __version__ as coverage_version

        pins["coverage"] = coverage_version
    return [f"{name}=={version}" for name, version in pins.items() if name not in names] + list(with_packages)


def scratch_dir() -> Path:
    """A private host directory mounted into the runtime for the patches' NODEFS probes,
    so probing never creates files in the user's project."""
    return Path(tempfile.mkdtemp(prefix="harness-scratch-"))


def boot_config(settings: Settings, cwd: Path, paths: Sequence[Path], args: Sequence[str] = ()) -> BootConfig:
    """Resolve the distribution and wheels (downloading once) and describe the boot.

    ``paths`` are host directories the run needs (project, rootdir); ``args`` the pytest
    arguments, whose existing paths are mounted too.
    """
    launch = runtime_class(settings.runtime).launch_plan(settings.launch)
    distribution = dist.resolve(settings.pyodide, settings.dist_dir)
    cov = settings.coverage
    site = wheels.site_packages(
        distribution.python_xy,
        runtime_requirements(settings.with_packages, coverage=cov is not None),
        list(settings.requirements),
    )
    scratch = scratch_dir()
    config_files = [cov.config_file.resolve()] if cov and cov.config_file else []
    mounts = invocation.mount_points([cwd, *paths, site, *invocation.path_args(args, cwd), *config_files])
    extra = {}
    if cov is not None:
        # Never measure the harness's own runtime code or the runtime's site-packages.
        extra["coverage"] = cov.runtime_options(cwd, omit=[f"{RUNTIME_ROOT}/*", f"{site}/*"])
    env, unset = invocation.runtime_env(dict(os.environ))
    return BootConfig(
        dist=distribution,
        site_packages=site,
        cwd=cwd,
        mounts=(*mounts, scratch),
        probe_dirs=(scratch,),
        env=env,
        unset_env=unset,
        umask=invocation.host_umask(),
        patches=settings.patches,
        extra=extra,
        launch=launch,
    )
