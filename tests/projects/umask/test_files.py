from pathlib import Path

HERE = Path(__file__).parent


def test_creates_files_on_the_project_disk():
    (HERE / "made_by_test.txt").write_text("x")
    (HERE / "made_dir").mkdir()
    (HERE / "made_dir" / "inner.txt").write_text("y")


def test_fails_so_the_cache_is_written():
    assert False
