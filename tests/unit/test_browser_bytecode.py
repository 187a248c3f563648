"""The browser bytecode archive: its format on both sides, path checks, the host's store and
the run server's routes (no browser: the page's requests are made here, as the page makes them)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time
import zlib
from pathlib import Path

import pytest

import browsers
from harness.host.intake import EventQueue
from harness.runtimes import bytecode
from harness.runtimes.web.server import Channel, RunServer

KEY = "k" * 32
FILES = [("home/u/proj/helper.cpython-314.pyc", b"\x00pyc-one"), ("home/u/proj/t.cpython-314-pytest-9.pyc", b"")]

PATHS = {
    "a/b.cpython-314.pyc": True,
    "b.pyc": True,
    "/etc/x.pyc": False,  # absolute
    "a/../../x.pyc": False,
    "..": False,
    "a/./b.pyc": False,
    "a//b.pyc": False,
    "a/b.py": False,  # only bytecode
    "a/b.pyc.1234": False,  # a write that did not finish
    "a\\b.pyc": False,
    "a/b\0.pyc": False,
    "": False,
}


def raw_archive(header: object, body: bytes = b"") -> bytes:
    """An archive with any header, checksummed: what a page that lies would send."""
    head = json.dumps(header).encode()
    rest = len(head).to_bytes(4, "little") + head + body
    return bytecode.MAGIC + bytecode.FORMAT.to_bytes(4, "little") + zlib.crc32(rest).to_bytes(4, "little") + rest


def test_round_trip() -> None:
    data = bytecode.pack(KEY, FILES)
    assert bytecode.parse(data, KEY) == FILES
    assert bytecode.parse(bytecode.pack(KEY, []), KEY) == []


@pytest.mark.parametrize(("path", "ok"), PATHS.items())
def test_safe_path(path: str, ok: bool) -> None:
    assert bytecode.safe_path(path) is ok


def _flip(data: bytes) -> bytes:
    middle = len(data) - 3
    return data[:middle] + bytes([data[middle] ^ 0x5A]) + data[middle + 1 :]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda d: d[: len(d) - 2], "checksum mismatch"),
        (_flip, "checksum mismatch"),
        (lambda d: b"\x07" * len(d), "not a bytecode archive"),
        (lambda d: d[:8] + (2).to_bytes(4, "little") + d[12:], "other format"),
        (lambda d: bytecode.pack("0" * 32, FILES), "other key"),
        (lambda d: raw_archive({"key": KEY, "files": [["/etc/x.pyc", 1]]}, b"x"), "unsafe path"),
        (lambda d: raw_archive({"key": KEY, "files": [["a/../b.pyc", 1]]}, b"x"), "unsafe path"),
        (lambda d: raw_archive({"key": KEY, "files": [["a/b.py", 1]]}, b"x"), "unsafe path"),
        (lambda d: raw_archive({"key": KEY, "files": [["a.pyc", 5]]}, b"x"), "truncated"),
        (lambda d: raw_archive({"key": KEY, "files": [["a.pyc", -1]]}), "bad header"),
        (lambda d: raw_archive([KEY]), "other key"),
    ],
)
def test_a_bad_archive_is_refused(damage, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(bytecode.ArchiveError, match=reason):
        bytecode.parse(damage(bytecode.pack(KEY, FILES)), KEY)


def test_pack_refuses_unsafe_paths() -> None:
    with pytest.raises(bytecode.ArchiveError):
        bytecode.pack(KEY, [("../x.pyc", b"")])


def test_merge_keeps_the_other_runtimes_files_within_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    new = [("a.pyc", b"new"), ("b.pyc", b"b")]
    old = [("a.pyc", b"old"), ("c.pyc", b"c")]
    assert bytecode.merge(new, old) == [("a.pyc", b"new"), ("b.pyc", b"b"), ("c.pyc", b"c")]
    monkeypatch.setattr(bytecode, "MAX_ARCHIVE", 4)
    assert bytecode.merge(new, old) == new


def test_key_follows_version_engine_and_project() -> None:
    base = bytecode.key("314.0.7", "chromium", "/p")
    assert bytecode.key("314.0.7", "chromium", "/p") == base
    others = {bytecode.key("0.29.5", "chromium", "/p"), bytecode.key("314.0.7", "firefox", "/p")}
    others.add(bytecode.key("314.0.7", "chromium", "/q"))
    assert base not in others and len(others) == 3


def _reader(data: bytes):  # type: ignore[no-untyped-def]
    chunks = [data]
    return lambda n: chunks.pop(0) if chunks else b""


def test_store_saves_atomically_and_merges(tmp_cache: Path) -> None:
    held = bytecode.BrowserBytecode(KEY)
    assert held.lookup() is None
    first = bytecode.pack(KEY, FILES)
    assert held.save(len(first), _reader(first)) == ""
    assert held.lookup() == first
    second = bytecode.pack(KEY, [("home/u/proj/other.cpython-314.pyc", b"2"), (FILES[0][0], b"newer")])
    assert held.save(len(second), _reader(second)) == ""
    assert dict(bytecode.parse(held.path.read_bytes(), KEY)) == {
        "home/u/proj/other.cpython-314.pyc": b"2",
        FILES[0][0]: b"newer",
        FILES[1][0]: b"",
    }
    # Refused: another key, an unsafe path, a short body, too large. What is held stays.
    kept = held.path.read_bytes()
    assert held.save(len(first), _reader(bytecode.pack("0" * 32, FILES))) == "other key"
    unsafe = raw_archive({"key": KEY, "files": [["/etc/passwd.pyc", 1]]}, b"x")
    assert "unsafe path" in held.save(len(unsafe), _reader(unsafe))
    assert held.save(len(first) + 10, _reader(first)) == "upload ended early"
    assert held.save(bytecode.MAX_ARCHIVE + 1, _reader(first)) == "too large"
    assert held.path.read_bytes() == kept
    assert [p.name for p in held.path.parent.iterdir()] == [bytecode.NAME]
    assert held.path.stat().st_mode & 0o077 == 0  # private to the user


def test_a_damaged_archive_is_replaced_by_the_next_upload(tmp_cache: Path) -> None:
    held = bytecode.BrowserBytecode(KEY)
    held.path.parent.mkdir(parents=True)
    held.path.write_bytes(b"garbage")
    data = bytecode.pack(KEY, FILES)
    assert held.save(len(data), _reader(data)) == ""
    assert bytecode.parse(held.path.read_bytes(), KEY) == FILES


def test_drop_removes_a_changed_sources_bytecode(tmp_cache: Path) -> None:
    held = bytecode.BrowserBytecode(KEY)
    files = [*FILES, ("home/u/proj/helper_two.cpython-314.pyc", b"2")]
    data = bytecode.pack(KEY, files)
    assert held.save(len(data), _reader(data)) == ""
    bytecode.drop([Path("/home/u/proj/helper.py"), Path("/home/u/proj/t.py")])
    assert bytecode.parse(held.path.read_bytes(), KEY) == files[2:]


def test_prune_keeps_the_most_recently_used(tmp_path: Path) -> None:
    now = time.time()
    for i in range(5):
        folder = tmp_path / f"k{i}"
        folder.mkdir()
        (folder / bytecode.NAME).write_bytes(b"x")
        os.utime(folder, (now - 100 + i, now - 100 + i))
    stale = tmp_path / "k4" / ".tmp-old"
    stale.write_bytes(b"x")
    os.utime(stale, (now - 3600, now - 3600))
    os.utime(tmp_path / "k4", (now, now))
    bytecode.prune(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k3", "k4"]
    assert not stale.exists()


# -- the page's side (browsers/bytecode.mjs), run by Node on the same bytes --------------

JS = """
import { packArchive, parseArchive, safePath } from %s;
const input = JSON.parse(process.argv[1]);
const bytes = Uint8Array.from(Buffer.from(input.archive, "base64"));
const files = parseArchive(bytes, input.key);
const repacked = packArchive(files, input.key);
let refused = "";
try { parseArchive(Uint8Array.from(Buffer.from(input.damaged, "base64")), input.key); }
catch (error) { refused = error.message; }
const safe = Object.fromEntries(input.paths.map((p) => [p, safePath(p)]));
process.stdout.write(JSON.stringify({ repacked: Buffer.from(repacked).toString("base64"), refused, safe }));
"""


def test_the_page_reads_and_writes_the_same_format() -> None:
    import base64

    archive = bytecode.pack(KEY, FILES)
    given = {
        "archive": base64.b64encode(archive).decode(),
        "damaged": base64.b64encode(_flip(archive)).decode(),
        "key": KEY,
        "paths": list(PATHS),
    }
    module = json.dumps(browsers.entry("bytecode.mjs").as_uri())
    done = subprocess.run(
        ["node", "--input-type=module", "-e", JS % module, json.dumps(given)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(done.stdout)
    assert base64.b64decode(out["repacked"]) == archive  # byte for byte, checksum included
    assert out["refused"] == "checksum mismatch"
    assert out["safe"] == PATHS


# -- the run server's routes ----------------------------------------------------------


def _request(run: RunServer, method: str, path: str, cookie: str = "", body: bytes = b"", length: int | None = None):  # type: ignore[no-untyped-def]
    connection = http.client.HTTPConnection(*run.address, timeout=30)
    headers = {"Host": f"127.0.0.1:{run.address[1]}", "Content-Length": str(len(body) if length is None else length)}
    if cookie:
        headers["Cookie"] = cookie
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders(body if length is None else None)
    response = connection.getresponse()
    result = response.status, response.read()
    connection.close()
    return result


def test_server_lends_and_takes_back_the_archive(tmp_path: Path, tmp_cache: Path) -> None:
    """Only with the session cookie; the upload is checked before it is kept."""
    held = bytecode.BrowserBytecode(KEY)
    channel = Channel(EventQueue(), "w", lambda fd, data: None)
    run = RunServer(channel, {}, {"page.html": Path(__file__)}, tmp_path, [], [], bytecode=held)
    try:
        boot_path = run.boot_url.split(str(run.address[1]), 1)[1]
        connection = http.client.HTTPConnection(*run.address, timeout=30)
        connection.request("GET", boot_path)
        response = connection.getresponse()
        response.read()
        cookie = response.headers["Set-Cookie"].split(";")[0]
        connection.close()
        good = bytecode.pack(KEY, FILES)
        assert _request(run, "GET", "/bytecode") == (403, b"forbidden\n")
        assert _request(run, "GET", "/bytecode", cookie) == (204, b"")
        assert _request(run, "POST", "/bytecode", body=good)[0] == 403
        unsafe = raw_archive({"key": KEY, "files": [["../../x.pyc", 1]]}, b"x")
        assert _request(run, "POST", "/bytecode", cookie, unsafe) == (409, b"unsafe path '../../x.pyc'\n")
        assert _request(run, "POST", "/bytecode", cookie, b"x", length=bytecode.MAX_ARCHIVE + 1)[0] == 413
        assert _request(run, "POST", "/bytecode", cookie, good) == (204, b"")
        assert _request(run, "GET", "/bytecode", cookie) == (200, good)
    finally:
        run.close()
