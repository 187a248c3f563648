import os


def test_sqlite3_is_what_the_interpreter_has() -> None:
    """Coverage's sqlite3 workaround must not make sqlite3 importable for the project."""
    try:
        import sqlite3  # noqa: F401
    except ImportError:
        available = "no"
    else:
        available = "yes"
    assert available == os.environ.get("EXPECT_SQLITE3", "yes")
