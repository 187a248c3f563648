"""Checking a wheel before anything boots (harness.provision.wheelfile, dylink): wheels built here."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from helpers import make_wheel, wasm_side_module

from harness.errors import HarnessError
from harness.provision import dylink, wheelfile


def error_of(path: Path) -> str:
    with pytest.raises(HarnessError) as info:
        wheelfile.read(path)
    assert "\n" not in str(info.value) and info.value.exit_code == 4
    return str(info.value)


def test_reads_a_valid_wheel(tmp_path: Path) -> None:
    files = {
        "fast/__init__.py": b"",
        "fast/_speed.cpython-314-wasm32-emscripten.so": wasm_side_module(["libz.so", "libfast.so"]),
        "fast/libfast.so": wasm_side_module([]),
        "fast_extra.py": b"",
    }
    wheel = make_wheel(tmp_path, "fast", "2.0", "cp314-cp314-pyemscripten_2026_0_wasm32", files, ("attrs>=1",))
    info = wheelfile.read(wheel)
    assert (info.name, info.version, info.requires) == ("fast", "2.0", ("attrs>=1",))
    assert info.top_level == ("fast", "fast_extra")
    assert info.extensions == ("fast/_speed.cpython-314-wasm32-emscripten.so", "fast/libfast.so")
    assert info.needed == {"fast/_speed.cpython-314-wasm32-emscripten.so": ("libz.so", "libfast.so")}
    assert not info.pure


def test_not_a_zip(tmp_path: Path) -> None:
    wheel = tmp_path / "x-1.0-py3-none-any.whl"
    wheel.write_bytes(b"not a zip")
    assert error_of(wheel).startswith(f"{wheel} is not a readable wheel: ")


def test_no_metadata(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "x")
    stripped = tmp_path / "out" / wheel.name
    stripped.parent.mkdir()
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(stripped, "w") as dst:
        for item in src.infolist():
            if not item.filename.endswith("METADATA"):
                dst.writestr(item, src.read(item))
    assert error_of(stripped) == f"{wheel.name} is not a valid wheel: no x-1.0.dist-info/METADATA"


def test_no_record(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "x", record=False)
    assert error_of(wheel) == f"{wheel.name} is not a valid wheel: no x-1.0.dist-info/RECORD"


def test_record_hash_mismatch(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "x")
    tampered = tmp_path / "out" / wheel.name
    tampered.parent.mkdir()
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, b"VALUE = 'evil'\n" if item.filename == "x/__init__.py" else data)
    assert error_of(tampered) == f"{wheel.name} is not a valid wheel: x/__init__.py does not match its RECORD hash"


def test_bad_file_name(tmp_path: Path) -> None:
    wheel = tmp_path / "nonsense.whl"
    wheel.write_bytes(b"")
    assert error_of(wheel).startswith("nonsense.whl is not a wheel file name")


def test_dylink_needed() -> None:
    assert dylink.needed(wasm_side_module(["libssl.so.1.1", "libcrypto.so.1.1"])) == [
        "libssl.so.1.1",
        "libcrypto.so.1.1",
    ]
    assert dylink.needed(wasm_side_module([])) == []
    assert dylink.needed(b"\x7fELF....") == []
    assert dylink.needed(wasm_side_module(["libx.so"])[:14]) == []  # truncated
