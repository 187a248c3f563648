"""One wheel file, checked before anything boots: readable, complete, and what it says it is.

A wheel a user hands over (``--wheel``, ``--with PATH``, ``--find-links``) is checked the way
an installer should: the zip opens, ``*.dist-info/METADATA`` and ``RECORD`` are there, and every
file RECORD lists a hash for has that hash (PEP 376/427). A wheel that fails is a one-line
error naming the file and the first problem, never a traceback from deep inside an unzip.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path, PurePosixPath

from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename

from harness.errors import HarnessError
from harness.provision import dylink
from harness.provision.tags import wheel_tags

# What Pyodide's loader treats as a loadable dynamic library (``_package_loader.SHAREDLIB_REGEX``).
SHARED_SUFFIXES = (".so",)


@dataclass(frozen=True)
class WheelInfo:
    """What the harness needs to know about a checked wheel."""

    path: Path
    name: NormalizedName
    version: str
    tags: frozenset[Tag]
    requires: tuple[str, ...]  # Requires-Dist, markers not evaluated
    top_level: tuple[str, ...]  # importable top-level names
    extensions: tuple[str, ...]  # archive paths of compiled modules / shared libraries
    needed: dict[str, tuple[str, ...]]  # archive path of a .so -> libraries it needs (dylink.0)

    @property
    def pure(self) -> bool:
        return not self.extensions and all(t.platform == "any" for t in self.tags)


def read(path: Path) -> WheelInfo:
    """Check ``path`` and read what it declares; HarnessError (one line) if it is not a usable wheel."""
    name = path.name
    tags = wheel_tags(name)
    project, version = parse_wheel_filename(name)[:2]
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            dist_info = _dist_info(name, names)
            metadata = _text(zf, f"{dist_info}/METADATA", name)
            record = _text(zf, f"{dist_info}/RECORD", name)
            _check_record(zf, record, name)
            top_level_txt = f"{dist_info}/top_level.txt"
            top = _text(zf, top_level_txt, name).split() if top_level_txt in names else _top_level(names)
            extensions = [n for n in names if _is_dynlib(n)]
            needed = {n: tuple(dylink.needed(zf.read(n))) for n in extensions}
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise HarnessError(f"{path} is not a readable wheel: {exc}") from None
    headers = HeaderParser().parsestr(metadata)
    declared = canonicalize_name(headers.get("Name", ""))
    if declared != project:
        raise HarnessError(f"{name}: METADATA names {headers.get('Name')!r}, not {project}")
    return WheelInfo(
        path=path,
        name=project,
        version=str(version),
        tags=tags,
        requires=tuple(headers.get_all("Requires-Dist") or ()),
        top_level=tuple(sorted(set(top))),
        extensions=tuple(extensions),
        needed={k: v for k, v in needed.items() if v},
    )


def _dist_info(filename: str, names: list[str]) -> str:
    dirs = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    if len(dirs) != 1:
        found = "none" if not dirs else ", ".join(sorted(dirs))
        raise HarnessError(f"{filename} is not a valid wheel: expected one *.dist-info directory, found {found}")
    return dirs.pop()


def _text(zf: zipfile.ZipFile, member: str, filename: str) -> str:
    try:
        return zf.read(member).decode("utf-8")
    except KeyError:
        raise HarnessError(f"{filename} is not a valid wheel: no {member}") from None
    except UnicodeDecodeError:
        raise HarnessError(f"{filename} is not a valid wheel: {member} is not UTF-8") from None


def _check_record(zf: zipfile.ZipFile, record: str, filename: str) -> None:
    """Every file RECORD gives a hash for must have it (RECORD itself and signatures have none)."""
    present = set(zf.namelist())
    for line in record.splitlines():
        if not line.strip():
            continue
        path, _, rest = line.partition(",")
        digest = rest.partition(",")[0]
        if not digest:
            continue
        if path not in present:
            raise HarnessError(f"{filename} is not a valid wheel: RECORD lists {path}, which is missing")
        algorithm, _, expected = digest.partition("=")
        if algorithm not in ("sha256", "sha384", "sha512"):
            raise HarnessError(f"{filename} is not a valid wheel: RECORD uses {algorithm or 'no'} hash for {path}")
        actual = base64.urlsafe_b64encode(hashlib.new(algorithm, zf.read(path)).digest()).rstrip(b"=").decode()
        if actual != expected:
            raise HarnessError(f"{filename} is not a valid wheel: {path} does not match its RECORD hash")


def _top_level(names: list[str]) -> list[str]:
    """Importable top-level names from the archive paths (when there is no top_level.txt)."""
    top = set()
    for name in names:
        parts = PurePosixPath(name).parts
        if parts[0].endswith((".dist-info", ".data")):
            if len(parts) > 3 and parts[1] in ("purelib", "platlib"):
                parts = parts[2:]
            else:
                continue
        if len(parts) > 1:
            top.add(parts[0])
        elif parts[0].endswith(".py"):
            top.add(parts[0][:-3])
        elif _is_dynlib(parts[0]):
            top.add(parts[0].split(".", 1)[0])
    return [t for t in top if t.isidentifier()]


def _is_dynlib(name: str) -> bool:
    """A shared object as Pyodide's loader recognises one (``*.so`` or ``*.so.N``)."""
    base = PurePosixPath(name).name
    return ".so" in base and (base.endswith(".so") or base.rsplit(".so", 1)[1].lstrip(".").replace(".", "").isdigit())
