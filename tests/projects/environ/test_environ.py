"""The process environment a test sees: its own home, a usable temp dir."""

import os
import tempfile


def test_home_is_a_directory_of_this_machine():
    home = os.path.expanduser("~")
    assert home != "~"
    assert os.path.isdir(home)


def test_temp_dir_exists_and_is_writable():
    with tempfile.NamedTemporaryFile(dir=tempfile.gettempdir()) as f:
        f.write(b"x")
    for name in ("TMPDIR", "TEMP", "TMP"):
        if name in os.environ:
            assert os.path.isdir(os.environ[name]), name
