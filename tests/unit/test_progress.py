"""harness.provision.progress: a live rich bar on a terminal, one plain line otherwise."""

from __future__ import annotations

import io

import pytest

from harness.provision import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_line_when_not_a_terminal() -> None:
    out = io.StringIO()
    with progress.task("downloading", "downloaded", "Pyodide 1.2.3 from npm", stream=out) as advance:
        advance(3_000_000)
        advance(300_000)
    (line,) = out.getvalue().splitlines()
    assert line.startswith("harness: downloaded Pyodide 1.2.3 from npm (3.3 MB in ") and line.endswith(" s)")


def test_nothing_when_the_work_fails() -> None:
    out = io.StringIO()
    with pytest.raises(OSError), progress.task("unpacking", "unpacked", "x.tgz", stream=out):
        raise OSError("disk full")
    assert out.getvalue() == ""


def test_bar_with_bytes_and_rate_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    out = Terminal()
    with progress.task("unpacking", "unpacked", "5 wheels", total=2_000_000, stream=out) as advance:
        advance(1_000_000)
        advance(1_000_000)
    text = out.getvalue()
    assert "\x1b[" in text  # drawn by rich, not a plain line
    assert "unpacked 5 wheels" in text and "2.0/2.0 MB" in text and "/s" in text
    assert not text.startswith("harness:")


def test_a_failed_bar_does_not_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    out = Terminal()
    with pytest.raises(OSError), progress.task("unpacking", "unpacked", "x.tgz", total=10, stream=out) as advance:
        advance(5)
        raise OSError("disk full")
    text = out.getvalue()
    assert "unpacked x.tgz" not in text
    assert text.endswith("\x1b[1A\x1b[2K")  # rich erased the bar's line


def test_one_line_per_announced_download() -> None:
    out = io.StringIO()
    with progress.downloads("wheels for Python 3.14", stream=out) as announce:
        announce("pytest-9.0.3-py3-none-any.whl", 375_000)
        announce("iniconfig-2.3.1-py3-none-any.whl", 7_600)
        assert out.getvalue() == ""  # written once the resolution succeeded
    assert out.getvalue().splitlines() == [
        "harness: downloaded pytest-9.0.3-py3-none-any.whl (375.0 kB)",
        "harness: downloaded iniconfig-2.3.1-py3-none-any.whl (7.6 kB)",
    ]
    retried = io.StringIO()
    with progress.downloads("wheels", stream=retried) as announce:
        announce("numpy-2.0-cp312-none-any.whl", 1_000)
        announce.discard()  # a resolution round thrown away
    assert retried.getvalue() == ""
    failed = io.StringIO()
    with pytest.raises(RuntimeError), progress.downloads("wheels", stream=failed) as announce:
        announce("pytest-9.0.3-py3-none-any.whl", 375_000)
        raise RuntimeError("no matching distribution")
    assert failed.getvalue() == ""


def test_sizes() -> None:
    assert progress.parse_size("1.2", "MB") == 1_200_000 and progress.parse_size("7", "kB") == 7000
    assert progress.human_size(999) == "999 B" and progress.human_size(6_500_000) == "6.5 MB"


def test_counting_reader_reports_what_is_read() -> None:
    seen: list[int] = []
    reader = progress.CountingReader(io.BytesIO(b"x" * 10), seen.append)
    assert reader.read(4) == b"xxxx" and reader.read() == b"x" * 6
    assert sum(seen) == 10
