import subprocess
import threading


def test_starts_a_thread():
    threading.Thread(target=print).start()


def test_runs_a_process():
    subprocess.run(["true"], check=True)


def test_project_bug():
    assert sum([1, 2]) == 4
