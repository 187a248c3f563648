"""Creating a file that another process creates at the same moment, on the host mount.

Runs inside the runtime on Node (this directory is a NODEFS mount); the "other process"
is the patch's own race helper, a second mount of this directory that creates the file
between Emscripten's steps. The outcomes are what Linux gives for the same flags.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "emscripten", reason="a NODEFS mount exists only in the runtime")

HERE = str(Path(__file__).resolve().parent)


def _open_with(flags: int) -> Callable[[str], None]:
    def write(path: str) -> None:
        fd = os.open(path, flags, 0o644)
        try:
            os.write(fd, b"ours\n")
        finally:
            os.close(fd)

    return write


CREATE = os.O_CREAT | os.O_WRONLY
NATIVE = {
    "append": (_open_with(CREATE | os.O_APPEND), "theirs\nours\n"),
    "truncate": (_open_with(CREATE | os.O_TRUNC), "ours\n"),
    "overwrite": (_open_with(CREATE), "ours\ns\n"),
    "exclusive": (_open_with(CREATE | os.O_EXCL), FileExistsError),
}


@pytest.mark.parametrize("stage", ["lookup", "create"])
@pytest.mark.parametrize("flags", NATIVE)
def test_losing_the_race_behaves_as_natively(flags: str, stage: str) -> None:
    from wasm_patches import nodefs_create_race

    write, expected = NATIVE[flags]
    name = f".race-{uuid.uuid4().hex[:8]}"
    path = os.path.join(HERE, name)
    patch = nodefs_create_race._patch()
    try:
        if isinstance(expected, str):
            patch.race(HERE, name, "theirs\n", stage, lambda: write(path))
            assert Path(path).read_text() == expected
        else:
            with pytest.raises(expected):
                patch.race(HERE, name, "theirs\n", stage, lambda: write(path))
            assert Path(path).read_text() == "theirs\n"
    finally:
        os.unlink(path)


def test_the_probe_ran_on_the_host_mount_and_the_fix_holds() -> None:
    from wasm_patches import nodefs_create_race

    assert nodefs_create_race.verify(nodefs_dirs=[HERE]) == dict.fromkeys(nodefs_create_race.CHECKS, False)
    assert nodefs_create_race.PROBED_ON == [f"nodefs:{HERE}"]
    assert not [p for p in os.listdir(HERE) if p.startswith(".wasm_patches-probe-")]
