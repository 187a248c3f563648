"""Which file provides each package the runtime needs: local wheels, then Pyodide's lock, then PyPI.

For every requirement the user names (``--with``) and every dependency of what is chosen for
it, the first source that has a version satisfying it wins:

1. local files: ``--wheel`` and ``--with PATH`` (always, they are what is under test), then
   wheels in ``--find-links`` directories that the runtime's tags accept;
2. the Pyodide distribution's own packages (``pyodide-lock.json``), their ``depends`` followed;
3. PyPI, through pip, told the runtime's exact tag set so that pip itself chooses among wheels
   (PEP 783 ``pyemscripten`` wheels included). What is already chosen is handed to pip as
   direct file requirements, so pip resolves the rest around it; a dependency pip finds on no
   index but that the lock has is taken from the lock.

The harness's own test runner (the host's pytest, and coverage with ``--cov``) is resolved by
pip from PyPI, as pure wheels: a default run never needs Pyodide's CDN.

Every failure is one ``HarnessError`` line: the requirement, the tags the runtime accepts and
what was found. ``NotCompatible`` is the one a version matrix shows as "not compatible".
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from harness.errors import HarnessError
from harness.provision import lock as lockfile
from harness.provision import progress, wheelfile
from harness.provision.store import TMP_PREFIX, cache_root, store_file
from harness.provision.tags import RuntimeTags

# pip evaluates environment markers against the host interpreter even with --python-version
# (a known pip limitation): this bootstrap makes pip see the runtime's environment instead.
_PIP_BOOTSTRAP = """\
import json, runpy, sys
from pip._vendor.packaging import markers
env = markers.default_environment()
env.update(json.loads(sys.argv[1]))
markers.default_environment = lambda: dict(env)
sys.argv = ["pip", *sys.argv[2:]]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""
_DOWNLOADING = re.compile(r"\s*Downloading (\S+) \(([\d.]+) ([kKMG]?B)\)")
_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
_FROM_VERSIONS = re.compile(r"\(from versions: ([^)]*)\)")
_NETWORK_HINTS = ("NewConnectionError", "connection broken by", "Could not fetch URL", "ConnectTimeout")
_MAX_PIP_ROUNDS = 8


class NotCompatible(HarnessError):
    """A wheel the user gave has no file this runtime accepts (a matrix shows the version as such)."""


@dataclass(frozen=True)
class Chosen:
    """One file that goes into the runtime."""

    name: NormalizedName
    version: str
    source: str  # "wheel" (--wheel / --with PATH), "find-links", "lock" or "pypi"
    path: Path
    dynlib: bool = False  # a lock shared library (installed to /usr/lib), not a wheel


@dataclass(frozen=True)
class Request:
    """Everything that decides a resolution."""

    tags: RuntimeTags
    python_full: str
    label: str  # "Pyodide 314.0.7", for messages
    requirements: tuple[str, ...] = ()  # --with, except paths
    base: tuple[str, ...] = ()  # the harness's own pins (pytest==X, coverage==Y)
    wheels: tuple[Path, ...] = ()  # --wheel and --with PATH
    find_links: tuple[Path, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    lock: lockfile.Lock | None = None
    package_url: str = ""
    dist_dir: Path | None = None

    def marker_env(self) -> dict[str, str]:
        """The runtime's PEP 508 marker environment (what ``packaging.markers`` sees inside)."""
        return {
            "python_version": self.tags.python_xy,
            "python_full_version": self.python_full,
            "sys_platform": "emscripten",
            "platform_system": "Emscripten",
            "platform_machine": "wasm32",
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
        }


def is_path(requirement: str) -> bool:
    """``--with ./x.whl`` / ``--with dist/x.whl``: a wheel file, not a requirement."""
    return requirement.endswith(".whl") and not re.match(r"^[A-Za-z0-9._-]+\s*(@|\[)", requirement)


def best_wheels(paths: Sequence[Path], tags: RuntimeTags, label: str) -> dict[NormalizedName, Path]:
    """Per project, the given wheel this runtime ranks best; NotCompatible if a project has none."""
    by_name: dict[NormalizedName, list[Path]] = {}
    for path in paths:
        try:
            name = parse_wheel_filename(path.name)[0]
        except InvalidWheelFilename as exc:
            raise HarnessError(f"{path} is not a wheel file name: {exc}") from None
        by_name.setdefault(name, []).append(path)
    chosen = {}
    for name, candidates in by_name.items():
        ranked = [(tags.rank(parse_wheel_filename(p.name)[3]), p) for p in candidates]
        fitting = sorted((rank, str(p), p) for rank, p in ranked if rank is not None)
        if not fitting:
            given = ", ".join(p.name for p in candidates)
            raise NotCompatible(f"{given} does not fit {label}, which accepts {tags.describe()}")
        chosen[name] = fitting[0][2]
    return chosen


@dataclass
class Resolver:
    """One resolution: ``run()`` returns every file the runtime gets."""

    request: Request
    chosen: dict[NormalizedName, Chosen] = field(default_factory=dict)
    pip_requirements: list[str] = field(default_factory=list)  # what is left for PyPI
    explicit: dict[NormalizedName, Path] = field(default_factory=dict)  # --wheel, --with PATH
    local: dict[NormalizedName, list[tuple[str, Path]]] = field(default_factory=dict)  # --find-links

    def run(self) -> list[Chosen]:
        request = self.request
        self.explicit = best_wheels(request.wheels, request.tags, request.label)
        self.local = _scan_find_links(request.find_links, request.tags)
        for path in self.explicit.values():
            self._choose_wheel(path, "wheel")
        for text in request.requirements:
            self._add(_requirement(text), via="--with")
        self._pip()
        return list(self.chosen.values())

    # -- the walk over local files and the lock ---------------------------------------------

    def _add(self, req: Requirement, via: str, extras: Iterable[str] = ()) -> None:
        if req.marker is not None and not _marker_applies(req.marker, self.request.marker_env(), extras):
            return
        name = canonicalize_name(req.name)
        if name in self.chosen:
            self._check(self.chosen[name], req, via)
            return
        if req.url:
            self.pip_requirements.append(str(req))
            return
        if not (self._from_find_links(name, req) or self._from_lock(name, req)):
            self.pip_requirements.append(str(req))

    def _check(self, chosen: Chosen, req: Requirement, via: str) -> None:
        if req.specifier and not req.specifier.contains(chosen.version, prereleases=True):
            raise HarnessError(
                f"conflict: {via} requires {req}, but {chosen.name} {chosen.version} was chosen "
                f"({_SOURCES[chosen.source]}: {chosen.path.name})"
            )

    def _choose_wheel(self, path: Path, source: str) -> None:
        info = wheelfile.read(path)
        stored, _ = store_file(path)
        self.chosen[info.name] = Chosen(info.name, info.version, source, stored)
        for text in info.requires:
            self._add(_requirement(text), via=f"{info.name} {info.version}")

    def _from_find_links(self, name: NormalizedName, req: Requirement) -> bool:
        fitting = [(v, p) for v, p in self.local.get(name, []) if req.specifier.contains(v, prereleases=True)]
        if not fitting:
            return False
        self._choose_wheel(max(fitting, key=lambda vp: _version_key(vp[0]))[1], "find-links")
        return True

    def _from_lock(self, name: NormalizedName, req: Requirement) -> bool:
        lock = self.request.lock
        package = lock.get(name) if lock is not None else None
        if package is None or not req.specifier.contains(package.version, prereleases=True):
            return False
        assert lock is not None
        for member in lock.closure(name):
            if member.name in self.chosen:
                continue
            if member.name != name and self._local_first(member.name):
                continue
            try:
                path = lockfile.fetch(member, self.request.package_url, self.request.dist_dir, self.request.label)
            except lockfile.Unreachable:
                if not member.is_pure:
                    raise
                # The lock re-hosts this pure release from PyPI: the same version from there.
                self.pip_requirements.append(f"{member.name}=={member.version}")
                continue
            dynlib = member.install_dir == "dynlib" or not member.is_wheel
            self.chosen[member.name] = Chosen(member.name, member.version, "lock", path, dynlib=dynlib)
        return True

    def _local_first(self, name: NormalizedName) -> bool:
        """A lock dependency that a local directory provides comes from there."""
        return self._from_find_links(name, Requirement(name))

    # -- pip ---------------------------------------------------------------------------

    def _pip(self) -> None:
        names = {canonicalize_name(_requirement(r).name) for r in self.request.requirements if not is_path(r)}
        names |= set(self.chosen)
        base = [r for r in self.request.base if canonicalize_name(_requirement(r).name) not in names]
        for _ in range(_MAX_PIP_ROUNDS):
            direct = [f"{c.name} @ {c.path.as_uri()}" for c in self.chosen.values() if not c.dynlib]
            missing = self._pip_round([*base, *self.pip_requirements, *direct])
            if missing is None:
                return
            self._add(missing, via="a dependency")
        raise HarnessError(f"pip kept asking for packages from {self.request.label}'s lock; giving up")

    def _pip_round(self, requirements: list[str]) -> Requirement | None:
        """One ``pip download``; None when it resolved, else a missing package the lock has."""
        request = self.request
        downloads = cache_root() / "wheels"
        downloads.mkdir(parents=True, exist_ok=True)
        with (
            tempfile.TemporaryDirectory(prefix=TMP_PREFIX + "pip-", dir=downloads) as work,
            progress.downloads(f"wheels for {request.label}") as announce,
        ):
            returncode, output = _run_pip(request, requirements, Path(work), downloads, announce)
            if returncode != 0:
                announce.discard()
                missing = _NOT_FOUND.search(output)
                if missing and request.lock is not None:
                    req = _requirement(missing.group(1))
                    name = canonicalize_name(req.name)
                    package = request.lock.get(name)
                    if name not in self.chosen and package and req.specifier.contains(package.version, True):
                        return req
                raise HarnessError(_pip_failure(request, output))
            self._take_downloads(Path(work), downloads)
        return None

    def _take_downloads(self, work: Path, downloads: Path) -> None:
        for path in sorted(work.iterdir()):
            try:
                name, version, _, tags = parse_wheel_filename(path.name)
            except InvalidWheelFilename:
                raise HarnessError(f"pip fetched {path.name}, which is not a wheel") from None
            if name in self.chosen:
                continue  # our own file, copied by pip
            if not self.request.tags.accepts(tags):
                raise HarnessError(f"pip fetched {path.name}, which {self.request.label} does not accept")
            # PyPI never serves two different files under one name: a concurrent replace is harmless.
            target = downloads / path.name
            path.replace(target)
            self.chosen[name] = Chosen(name, str(version), "pypi", target)


_SOURCES = {"wheel": "--wheel", "find-links": "--find-links", "lock": "Pyodide's lock", "pypi": "PyPI"}


def _requirement(text: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise HarnessError(f"invalid requirement {text!r}: {exc}") from None


def _marker_applies(marker: Marker, env: dict[str, str], extras: Iterable[str]) -> bool:
    return any(marker.evaluate({**env, "extra": extra}) for extra in [*extras, ""])


def _version_key(version: str) -> Version:
    return Version(version)


def _scan_find_links(dirs: Sequence[Path], tags: RuntimeTags) -> dict[NormalizedName, list[tuple[str, Path]]]:
    """Wheels in ``--find-links`` directories that the runtime accepts: {name: [(version, path)]}."""
    found: dict[NormalizedName, list[tuple[str, Path]]] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise HarnessError(f"--find-links {directory}: no such directory")
        for path in sorted(directory.glob("*.whl")):
            try:
                name, version, _, wheel_tags = parse_wheel_filename(path.name)
            except InvalidWheelFilename:
                continue
            if tags.accepts(wheel_tags):
                found.setdefault(name, []).append((str(version), path.absolute()))
    return found


def _run_pip(
    request: Request, requirements: list[str], dest: Path, downloads: Path, announce: progress.Downloads
) -> tuple[int, str]:
    """Run ``pip download``, announcing each wheel it downloads as its line arrives;
    (exit status, all its output).

    pip's own bar is off (it would draw into a pipe); its "Downloading NAME (SIZE)" lines
    drive harness.provision.progress instead. stderr goes to a file, so no pipe fills up.
    """
    import json

    links = [arg for d in request.find_links for arg in ("--find-links", str(d.absolute()))]
    cmd = [
        sys.executable, "-c", _PIP_BOOTSTRAP, json.dumps(request.marker_env()),
        "download", *request.tags.pip_args(), *links, "--find-links", str(downloads), "-d", str(dest),
        "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
        *requirements, *(arg for f in request.requirement_files for arg in ("-r", str(f))),
    ]  # fmt: skip
    # Popen as a context manager closes its stdout pipe (else a ResourceWarning lands in the
    # host session's warnings summary, which native runs do not have).
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as err,
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True) as proc,
    ):
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            found = _DOWNLOADING.match(line)
            if found:
                name = found.group(1).rpartition("/")[2]  # older pip prints the URL
                announce(name, progress.parse_size(found.group(2), found.group(3)))
        returncode = proc.wait()
        err.seek(0)
        return returncode, "".join(lines) + err.read()


def _pip_failure(request: Request, output: str) -> str:
    """One line explaining a failed ``pip download``."""
    if any(hint in output for hint in _NETWORK_HINTS):
        return f"cannot reach the package index to download wheels for {request.label} (offline?)"
    missing = _NOT_FOUND.search(output)
    if missing:
        return _no_wheel(request, missing.group(1), _FROM_VERSIONS.search(output))
    if "No module named pip" in output or "No module named 'pip" in output:
        return f"pip is not available for {sys.executable}; install it (python -m ensurepip)"
    # pip's first error is the cause ("Cannot install a and b ..."); later ones are advice.
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    if errors:
        return f"pip download failed for {request.label}: {errors[0].removeprefix('ERROR:').strip()}"
    return f"pip download failed: {(output.strip().splitlines() or ['no output'])[-1]}"


def _no_wheel(request: Request, requirement: str, versions: re.Match[str] | None) -> str:
    found = versions.group(1).split(", ") if versions else ["none"]
    pypi = "none" if found in (["none"], [""]) else ", ".join(found[-5:]) + (" (newest last)" if len(found) > 5 else "")
    name = canonicalize_name(_requirement(requirement).name)
    package = request.lock.get(name) if request.lock is not None else None
    in_lock = f"; Pyodide's lock has {package.name} {package.version}" if package else ""
    return (
        f"no wheel of {requirement} for {request.label}, which accepts {request.tags.describe()}: "
        f"versions on PyPI with such a wheel: {pypi}{in_lock}"
    )
