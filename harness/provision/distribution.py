"""Pyodide core distributions: find one, or fetch it from npm once and cache it.

The npm package ``pyodide`` (about 6 MB packed) is the whole core runtime: the JS loader, the
wasm interpreter, the standard library and ``pyodide-lock.json``. Once cached, a distribution is
used with no network and no subprocess, so runs after the first work offline.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from packaging.version import InvalidVersion, Version

from harness.errors import HarnessError
from harness.provision import integrity, progress
from harness.provision.store import TMP_PREFIX, atomic_dir, atomic_write_bytes, cache_root, remove_dir, say
from harness.provision.tags import RuntimeTags, pyemscripten_version, runtime_tags

DEFAULT_VERSION = "314.0.7"

REQUIRED_FILES = ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
# The Emscripten glue was renamed from .js (<= 0.29) to .mjs (314+); either one must be there.
ASM_GLUE = ("pyodide.asm.js", "pyodide.asm.mjs")

# Exact npm versions only ("0.27.8", "315.0.0-alpha.2"): a range such as "0.27" would name a
# cache entry whose contents change with time, and the string goes into a path and a command.
_VERSION_RE = re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?")
_NOT_FOUND_CODES = ("E404", "ETARGET")
# In a cached distribution: the size and hash of every file, recorded when it was fetched.
MANIFEST = ".harness-manifest.json"


@dataclass(frozen=True)
class Distribution:
    """A verified Pyodide core directory and what its lock file says about the runtime."""

    path: Path
    version: str
    python: str
    python_xy: str
    abi_version: str | None
    platform: str
    arch: str
    cached: bool = False  # an entry of the harness's cache (which it may check and rebuild)
    # PEP 783 platform version the runtime's sysconfig declares (Pyodide 0.29+), else None
    pyemscripten: str | None = None

    @property
    def tags(self) -> RuntimeTags:
        """The wheel tags this runtime accepts (``harness.provision.tags``)."""
        return runtime_tags(self.python_xy, self.abi_version, self.platform, self.arch, self.pyemscripten)


def resolve(version: str | None, dist_dir: Path | None) -> Distribution:
    """The distribution to run: ``dist_dir`` as is if given, else ``version`` from the cache/npm.

    ``dist_dir`` wins over ``version``; it is verified, never copied.
    """
    if dist_dir is not None:
        return verify(dist_dir)
    version = version or DEFAULT_VERSION
    if not _VERSION_RE.fullmatch(version):
        raise HarnessError(f"invalid Pyodide version {version!r}: expected an exact npm version like {DEFAULT_VERSION}")
    final = cache_root() / "pyodide" / version
    try:
        if final.is_dir():
            damage = _damage(final, integrity.wrong_sizes)
            if damage is None:
                found = replace(verify(final), cached=True)
                if not (final / MANIFEST).is_file():  # from before records were kept: keep them now
                    with contextlib.suppress(OSError):  # a read-only cache: next time
                        _write_manifest(final)
                return found
            remove_dir(final)
            _fetch(version, final)
            say(f"cached Pyodide {version} was damaged ({damage}); fetched it again")
        else:
            _fetch(version, final)
    except OSError as exc:
        raise HarnessError(f"cannot store Pyodide {version} in {final.parent}: {exc}") from None
    return replace(verify(final), cached=True)


def repair(distribution: Distribution) -> bool:
    """After a boot failure: compare every byte of a cached distribution with what was
    recorded when it was fetched; if it differs, fetch it again,
    say so, and return True. A ``--dist-dir`` is the user's and never touched (False)."""
    if not distribution.cached:
        return False
    damage = _damage(distribution.path, integrity.wrong_contents)
    if damage is None:
        return False
    remove_dir(distribution.path)
    try:
        _fetch(distribution.version, distribution.path)
    except OSError as exc:
        raise HarnessError(
            f"cannot store Pyodide {distribution.version} in {distribution.path.parent}: {exc}"
        ) from None
    say(f"cached Pyodide {distribution.version} was damaged ({damage}); fetched it again")
    return True


def _damage(entry: Path, check: Callable[[Path, integrity.Records], list[str]]) -> str | None:
    """Why the cached ``entry`` cannot be used as it is, or None: files that ``check`` finds
    changed, or (without records) what ``verify`` finds missing."""
    try:
        files = json.loads((entry / MANIFEST).read_bytes())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        try:
            verify(entry)
        except HarnessError as exc:
            return str(exc).rsplit(": ", 1)[-1]
        return None
    wrong = check(entry, files)
    return f"{integrity.describe(wrong)} changed" if wrong else None


def verify(path: Path) -> Distribution:
    """Check that ``path`` holds a usable Pyodide core and read its metadata.

    Raises HarnessError naming the first problem found.
    """
    path = path.expanduser().absolute()
    if not path.is_dir():
        reason = "not a directory" if path.exists() else "no such directory"
        raise HarnessError(f"{path} is not a Pyodide distribution: {reason}")
    try:
        present = {p.name: p for p in path.iterdir()}
    except OSError as exc:
        raise HarnessError(f"cannot read {path}: {exc.strerror or exc}") from None
    glue = [name for name in ASM_GLUE if name in present] or [" or ".join(ASM_GLUE)]
    for name in [*REQUIRED_FILES, glue[0]]:
        if name not in present:
            raise HarnessError(f"{path} is not a Pyodide distribution: missing {name}")
        if not present[name].is_file() or present[name].stat().st_size == 0:
            raise HarnessError(f"{path} is not a Pyodide distribution: {name} is empty or not a file")
    info = _lock_info(present["pyodide-lock.json"])
    python = info["python"]
    return Distribution(
        path=path,
        version=_package_version(path / "package.json") or info.get("version") or "local",
        python=python,
        python_xy=".".join(python.split(".")[:2]),
        abi_version=info.get("abi_version"),
        platform=info["platform"],
        arch=info.get("arch", "wasm32"),
        pyemscripten=pyemscripten_version(present["python_stdlib.zip"]),
    )


def cached_versions() -> list[str]:
    """Versions present in the cache, oldest first (not verified here; ``resolve`` does that)."""
    root = cache_root() / "pyodide"
    if not root.is_dir():
        return []
    names = [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(names, key=version_key)


def version_key(name: str) -> tuple[Version, str]:
    try:
        return Version(name), name
    except InvalidVersion:
        return Version("0"), name


def _lock_info(lock: Path) -> dict[str, str]:
    """The ``info`` table of ``pyodide-lock.json``, with the fields we rely on type-checked.

    The ``pyodide-lock`` package is not used: its last release for Python < 3.12 (0.1.2)
    rejects the locks of Pyodide 0.29+ (no ``info.version``, new per-package ``tool`` key).
    Only ``info`` matters here; the package list points at a CDN the runtime never uses.
    """
    try:
        data = json.loads(lock.read_bytes())
    except (OSError, ValueError) as exc:
        raise HarnessError(f"{lock} does not parse: {exc}") from None
    info = data.get("info") if isinstance(data, dict) else None
    if not isinstance(info, dict) or not isinstance(data.get("packages"), dict):
        raise HarnessError(f"{lock} does not parse: expected objects 'info' and 'packages'")
    checks: dict[str, Callable[[object], bool]] = {
        "python": lambda v: isinstance(v, str) and re.match(r"\d+\.\d+", v) is not None,
        "platform": lambda v: isinstance(v, str) and v.startswith("emscripten"),
        "arch": lambda v: v is None or v in ("wasm32", "wasm64"),
        "abi_version": lambda v: v is None or isinstance(v, str),
        "version": lambda v: v is None or isinstance(v, str),
    }
    for key, ok in checks.items():
        if not ok(info.get(key)):
            raise HarnessError(f"{lock} does not parse: bad info.{key} {info.get(key)!r}")
    return info


def _package_version(package_json: Path) -> str | None:
    """The npm package version: the lock's own version field is wrong or missing since 0.28."""
    try:
        version = json.loads(package_json.read_bytes()).get("version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, str) and version else None


def _fetch(version: str, final: Path) -> None:
    """Download ``pyodide@version`` with ``npm pack`` and unpack it atomically at ``final``."""
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError("npm not found; install Node.js 20+ (apt-get install nodejs npm)")
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=TMP_PREFIX + "pack-", dir=final.parent) as work:
        # npm reports no byte progress: a spinner while it runs, the size once it is done.
        with progress.task("downloading", "downloaded", f"Pyodide {version} from npm") as advance:
            proc = subprocess.run(
                [npm, "pack", f"pyodide@{version}", "--json", "--loglevel=error"],
                cwd=work,
                capture_output=True,
                text=True,
            )
            tarballs = list(Path(work).glob("*.tgz"))
            if proc.returncode != 0 or len(tarballs) != 1:
                raise HarnessError(_npm_failure(version, proc))
            advance(tarballs[0].stat().st_size)
        with atomic_dir(final) as tmp:
            _extract_package(tarballs[0], tmp)
            try:
                verify(tmp)  # a bad download must never land in the cache
            except HarnessError as exc:
                why = str(exc).rsplit(": ", 1)[-1]
                raise HarnessError(f"pyodide@{version} on npm is not a Pyodide distribution: {why}") from None
            _write_manifest(tmp)


def _write_manifest(entry: Path) -> None:
    """Record the size and hash of every file of ``entry`` (see ``integrity``)."""
    manifest = {"files": integrity.record(entry, skip=[MANIFEST])}
    atomic_write_bytes(entry / MANIFEST, json.dumps(manifest, indent=1).encode())


def _npm_failure(version: str, proc: subprocess.CompletedProcess[str]) -> str:
    """One line explaining why ``npm pack`` failed; npm reports the code in its JSON output."""
    code, summary = "", ""
    try:
        error = json.loads(proc.stdout)["error"]
        code, summary = str(error.get("code", "")), str(error.get("summary", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    output = proc.stdout + proc.stderr
    if code in _NOT_FOUND_CODES or any(f"code {c}" in output for c in _NOT_FOUND_CODES):
        return f"no Pyodide release {version} on npm"
    lines = [line.strip() for line in (summary or output).splitlines() if line.strip()]
    detail = lines[-1] if lines else f"exit status {proc.returncode}"
    return f"npm pack pyodide@{version} failed: {code + ': ' if code else ''}{detail}"


def _extract_package(tgz: Path, dest: Path) -> None:
    """Extract the tarball's ``package/`` files into ``dest`` (regular files and dirs only)."""
    try:
        with (
            progress.task("unpacking", "unpacked", tgz.name, total=tgz.stat().st_size) as advance,
            tgz.open("rb") as raw,
            tarfile.open(fileobj=progress.CountingReader(raw, advance), mode="r:gz") as tar,
        ):
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if len(parts) < 2 or parts[0] != "package" or ".." in parts:
                    continue
                target = dest.joinpath(*parts[1:])
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    if source is None:
                        continue
                    with source, target.open("wb") as out:
                        shutil.copyfileobj(source, out)
    except (OSError, tarfile.TarError) as exc:
        raise HarnessError(f"cannot unpack {tgz.name} from npm: {exc}") from None
