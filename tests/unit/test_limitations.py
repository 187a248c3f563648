"""harness.host.limitations: known WebAssembly limitations are recognised in real failure texts.

Pure tests on failure texts captured from real runs (``harness run`` on Pyodide 314.0.7 and
0.27.4 under Node 20, probe tests written for each limitation, texts read back from the JUnit
XML). Each text below is the tail of the real report (from the last ``>`` source line on) or,
for a crash, the real crash report with the JavaScript stack cut after two frames per block;
the comment names the probe test and the version. ``tests/test_limitations_live.py`` runs the
probe project live.
"""

from __future__ import annotations

import pytest

from harness.host import limitations
from harness.host.limitations import explain, summarize

# (Pyodide version it was captured on, failure text, fragment the hint must contain)
CAPTURED = [
    # test_thread_start on Pyodide 314.0.7
    (
        "314.0.7",
        ">           _start_joinable_thread(self._bootstrap, handle=self._os_thread_handle,\n                                   daemon=self.daemon)\nE                                  RuntimeError: can't start new thread\n\n/lib/python314.zip/threading.py:1005: RuntimeError",
        "threads cannot be started",
    ),
    # test_thread_pool on Pyodide 0.27.4
    (
        "0.27.4",
        ">           _start_new_thread(self._bootstrap, ())\nE           RuntimeError: can't start new thread\n\n/lib/python312.zip/threading.py:994: RuntimeError",
        "threads cannot be started",
    ),
    # test_faulthandler_later on Pyodide 314.0.7
    (
        "314.0.7",
        ">       faulthandler.dump_traceback_later(10)\nE       RuntimeError: unable to start watchdog thread\n\ntest_proc.py:121: RuntimeError",
        "faulthandler's watchdog",
    ),
    # test_subprocess_run on Pyodide 314.0.7
    (
        "314.0.7",
        '>           raise OSError(\n                errno.ENOTSUP, f"{sys.platform} does not support processes."\n            )\nE           OSError: [Errno 138] emscripten does not support processes.\n\n/lib/python314.zip/subprocess.py:827: OSError',
        "processes cannot be started",
    ),
    # test_os_popen on Pyodide 0.27.4
    (
        "0.27.4",
        '>           raise OSError(\n                errno.ENOTSUP, f"{sys.platform} does not support processes."\n            )\nE           OSError: [Errno 138] emscripten does not support processes.\n\n/lib/python312.zip/subprocess.py:818: OSError',
        "processes cannot be started",
    ),
    # test_fork on Pyodide 314.0.7
    (
        "314.0.7",
        ">       os.fork()\nE       OSError: [Errno 52] Function not implemented\n\ntest_proc.py:33: OSError",
        "processes cannot be forked",
    ),
    # test_mp_process on Pyodide 0.27.4
    (
        "0.27.4",
        ">       self.pid = os.fork()\n                   ^^^^^^^^^\nE       OSError: [Errno 52] Function not implemented\n\n/lib/python312.zip/multiprocessing/popen_fork.py:66: OSError",
        "processes cannot be forked",
    ),
    # test_mp_pool on Pyodide 314.0.7
    (
        "314.0.7",
        ">   ???\nE   ModuleNotFoundError: No module named '_multiprocessing'\n\n/lib/python314.zip/multiprocessing/synchronize.py:17: ModuleNotFoundError",
        "multiprocessing needs processes",
    ),
    # test_process_pool on Pyodide 314.0.7
    (
        "314.0.7",
        ">           raise NotImplementedError(_system_limited)\nE           NotImplementedError: This Python build lacks multiprocessing.synchronize, usually due to named semaphores being unavailable on this platform.\n\n/lib/python314.zip/concurrent/futures/process.py:592: NotImplementedError",
        "multiprocessing needs processes",
    ),
    # test_posix_spawn on Pyodide 314.0.7
    (
        "314.0.7",
        ">       os.posix_spawn(\"/bin/true\", [\"/bin/true\"], os.environ)\n        ^^^^^^^^^^^^^^\nE       AttributeError: module 'os' has no attribute 'posix_spawn'\n\ntest_proc.py:42: AttributeError",
        "os.posix_spawn does not exist",
    ),
    # test_execv on Pyodide 314.0.7
    (
        "314.0.7",
        '>       os.execv("/bin/true", ["/bin/true"])\nE       OSError: [Errno 45] Exec format error\n\ntest_proc.py:48: OSError',
        "cannot exec",
    ),
    # test_pty on Pyodide 314.0.7
    (
        "314.0.7",
        ">       raise OSError('out of pty devices')\nE       OSError: out of pty devices\n\n/lib/python314.zip/pty.py:58: OSError",
        "no pseudo-terminals",
    ),
    # test_alarm on Pyodide 314.0.7
    (
        "314.0.7",
        ">       signal.alarm(1)\n        ^^^^^^^^^^^^\nE       AttributeError: module 'signal' has no attribute 'alarm'\n\ntest_signal.py:5: AttributeError",
        "signal.alarm does not exist",
    ),
    # test_setitimer on Pyodide 0.27.4
    (
        "0.27.4",
        ">       signal.setitimer(signal.ITIMER_REAL, 1.0)\n        ^^^^^^^^^^^^^^^^\nE       AttributeError: module 'signal' has no attribute 'setitimer'. Did you mean: 'getitimer'?\n\ntest_signal.py:9: AttributeError",
        "signal.setitimer does not exist",
    ),
    # test_pthread_kill on Pyodide 314.0.7
    (
        "314.0.7",
        ">       signal.pthread_kill(threading.get_ident(), 0)\n        ^^^^^^^^^^^^^^^^^^^\nE       AttributeError: module 'signal' has no attribute 'pthread_kill'\n\ntest_signal.py:25: AttributeError",
        "signal.pthread_kill does not exist",
    ),
    # test_ipv6_socket on Pyodide 314.0.7
    (
        "314.0.7",
        ">       _socket.socket.__init__(self, family, type, proto, fileno)\nE       OSError: [Errno 5] Address family not supported by protocol\n\n/lib/python314.zip/socket.py:236: OSError",
        "IPv6 is disabled",
    ),
    # test_urlopen on Pyodide 314.0.7
    (
        "314.0.7",
        ">               raise URLError(err)\nE               urllib.error.URLError: <urlopen error [Errno 23] Host is unreachable>\n\n/lib/python314.zip/urllib/request.py:1324: URLError",
        "cannot reach the network",
    ),
    # test_connect_tcp on Pyodide 0.27.4
    (
        "0.27.4",
        '>       s.connect(("127.0.0.1", 9))\nE       OSError: [Errno 23] Host is unreachable\n\ncrash_net.py:9: OSError',
        "cannot reach the network",
    ),
    # test_asyncio_run on Pyodide 314.0.7
    (
        "314.0.7",
        ">           return run_sync(future)\n                   ^^^^^^^^^^^^^^^^\nE           RuntimeError: WebAssembly stack switching not supported in this JavaScript runtime\n\n/lib/python314.zip/pyodide/webloop.py:404: RuntimeError",
        "stack switching",
    ),
    # test_run_sync on Pyodide 314.0.7
    (
        "314.0.7",
        ">       assert run_sync(f()) == 1\n               ^^^^^^^^^^^^^\nE       RuntimeError: WebAssembly stack switching not supported in this JavaScript runtime\n\ntest_async.py:25: RuntimeError",
        "stack switching",
    ),
    # freezegun 1.5.1's test_asyncio_sleeping_not_affected_by_freeze_time on Pyodide 314.0.7
    # under JSPI (Node 20 with --experimental-wasm-stack-switching)
    (
        "314.0.7",
        ">           return await future\n                   ^^^^^^^^^^^^\nE           RuntimeError: Task <PyodideTask pending name='Task-4' coro=<test_asyncio_sleeping_not_affected_by_freeze_time.<locals>.coroutine() running at /tmp/wt11scratch/runs/fg/tests/test_asyncio.py:48> cb=[WebLoop._decrement_in_progress(), <FutureDoneCallback object at 0x1e4a0e0>()]> got Future <PyodideFuture pending cb=[WebLoop._decrement_in_progress()]> attached to a different loop\n\n/lib/python314.zip/asyncio/tasks.py:702: RuntimeError",
        "asyncio.new_event_loop() inside a running coroutine",
    ),
    # test_asyncio_run on Pyodide 0.27.4
    (
        "0.27.4",
        '>           raise RuntimeError(\n                "asyncio.run() cannot be called from a running event loop")\nE           RuntimeError: asyncio.run() cannot be called from a running event loop\n\n/lib/python312.zip/asyncio/runners.py:190: RuntimeError',
        "event loop is always running",
    ),
    # test_import[ssl] on Pyodide 0.27.4
    (
        "0.27.4",
        ">   ???\nE   ModuleNotFoundError: No module named 'ssl'\n\n<frozen importlib._bootstrap>:1324: ModuleNotFoundError",
        "module ssl is not in this runtime",
    ),
    # test_import[sqlite3] on Pyodide 0.27.4
    (
        "0.27.4",
        ">   ???\nE   ModuleNotFoundError: No module named 'sqlite3'\n\n<frozen importlib._bootstrap>:1324: ModuleNotFoundError",
        "sqlite3",
    ),
    # test_import[tkinter] on Pyodide 314.0.7
    (
        "314.0.7",
        ">   ???\nE   ModuleNotFoundError: No module named 'tkinter'\n\n<frozen importlib._bootstrap>:1335: ModuleNotFoundError",
        "tkinter",
    ),
    # test_import[readline0] on Pyodide 314.0.7
    (
        "314.0.7",
        ">   ???\nE   ModuleNotFoundError: No module named 'readline'\n\n<frozen importlib._bootstrap>:1335: ModuleNotFoundError",
        "readline",
    ),
    # test_import[_multiprocessing] on Pyodide 314.0.7
    (
        "314.0.7",
        ">   ???\nE   ModuleNotFoundError: No module named '_multiprocessing'\n\n<frozen importlib._bootstrap>:1335: ModuleNotFoundError",
        "multiprocessing needs processes",
    ),
    # test_ssl_memorybio_wrap on Pyodide 314.0.7
    (
        "314.0.7",
        '>       raise NotImplementedError("SSL is not supported in Pyodide")\nE       NotImplementedError: SSL is not supported in Pyodide\n\n/lib/python314.zip/ssl.py:325: NotImplementedError',
        "no TLS",
    ),
    # test_https_urlopen on Pyodide 0.27.4
    (
        "0.27.4",
        ">       raise URLError('unknown url type: %s' % type)\nE       urllib.error.URLError: <urlopen error unknown url type: https>\n\n/lib/python312.zip/urllib/request.py:1420: URLError",
        "no TLS",
    ),
    # test_os_link on Pyodide 314.0.7
    (
        "314.0.7",
        ">       os.link(tmp_path / \"a\", tmp_path / \"b\")\n        ^^^^^^^\nE       AttributeError: module 'os' has no attribute 'link'. Did you mean: 'unlink'?\n\ntest_more.py:22: AttributeError",
        "os.link does not exist",
    ),
    # test_terminal_size on Pyodide 0.27.4
    (
        "0.27.4",
        ">       os.get_terminal_size()\n        ^^^^^^^^^^^^^^^^^^^^\nE       AttributeError: module 'os' has no attribute 'get_terminal_size'. Did you mean: 'terminal_size'?\n\ntest_more.py:28: AttributeError",
        "os.get_terminal_size does not exist",
    ),
    # test_native_id on Pyodide 314.0.7
    (
        "314.0.7",
        ">       threading.get_native_id()\n        ^^^^^^^^^^^^^^^^^^^^^^^\nE       AttributeError: module 'threading' has no attribute 'get_native_id'\n\ntest_more.py:55: AttributeError",
        "no native threads",
    ),
    # test_errno_text on Pyodide 314.0.7
    (
        "314.0.7",
        ">           assert str(e).startswith(\"[Errno 2]\"), str(e)\nE           AssertionError: [Errno 44] No such file or directory: '/tmp/pytest-of-web_user/pytest-0/test_errno_text0/missing'\nE           assert False\nE            +  where False = <built-in method startswith of str object at 0x20ad828>('[Errno 2]')\nE            +    where <built-in method startswith of str object at 0x20ad828> = \"[Errno 44] No such file or directory: '/tmp/pytest-of-web_user/pytest-0/test_errno_text0/missing'\".startswith\nE            +      where \"[Errno 44] No such file or directory: '/tmp/pytest-of-web_user/pytest-0/test_errno_text0/missing'\" = str(FileNotFoundError(44, 'No such file or directory'))\n\ntest_more.py:34: AssertionError",
        "ENOENT",
    ),
    # test_zoneinfo on Pyodide 314.0.7
    (
        "314.0.7",
        '>               raise ZoneInfoNotFoundError(\n                   f"No time zone found with key {key}. \\n"\n                    " On Pyodide you must do pyodide.loadPackage(\'tzdata\')"\n                    " package before you use zoneinfo.")\nE               zoneinfo._common.ZoneInfoNotFoundError: "No time zone found with key Europe/Berlin. \\n On Pyodide you must do pyodide.loadPackage(\'tzdata\') package before you use zoneinfo."\n\n/lib/python314.zip/zoneinfo/_common.py:20: ZoneInfoNotFoundError',
        "--with tzdata",
    ),
    # test_huge_list on Pyodide 314.0.7
    (
        "314.0.7",
        ">       x = [0] * (2**30)\n            ^^^^^^^^^^^^^\nE       MemoryError\n\ncrash_misc.py:11: MemoryError",
        "32-bit",
    ),
    # test_big_alloc on Pyodide 314.0.7
    (
        "314.0.7",
        ">       b = bytearray(3 * 2**30)\n            ^^^^^^^^^^^^^^^^^^^^\nE       OverflowError: cannot fit 'int' into an index-sized integer\n\ncrash_misc.py:8: OverflowError",
        "32-bit",
    ),
    # test_socketpair on Pyodide 314.0.7
    (
        "314.0.7",
        "runtime exited unexpectedly while running crash_net.py::test_socketpair\nnode exit code 70\n    at Module.require (node:internal/modules/cjs/loader:1289:19)\n    at require (node:internal/modules/helpers:182:18)\n  code: 'MODULE_NOT_FOUND',\n  requireStack: [ '/root/.cache/harness/pyodide/314.0.7/pyodide.asm.mjs' ],\n  pyodide_fatal_error: true\n}\nRecursive call to fatal_error. Inner error was:\nNoGilError: Attempted to use PyProxy when Python GIL not held\n    at throw_no_gil (file:///root/.cache/harness/pyodide/314.0.7/pyodide.asm.mjs:1:583731)\n    at wasm://wasm/0249d42a:wasm-function[450]:0x6e2e7\nRecursive call to fatal_error. Inner error was:\nNoGilError: Attempted to use PyProxy when Python GIL not held\n    at throw_no_gil (file:///root/.cache/harness/pyodide/314.0.7/pyodide.asm.mjs:1:583731)\n    at wasm://wasm/0249d42a:wasm-function[450]:0x6e2e7\nError: Cannot find module 'ws'\nRequire stack:\n- /root/.cache/harness/pyodide/314.0.7/pyodide.asm.mjs",
        "cannot listen or be paired",
    ),
    # test_bind_listen on Pyodide 0.27.4
    (
        "0.27.4",
        "runtime exited unexpectedly while running crash_net.py::test_bind_listen\nnode exit code 70\n    at Module.require (node:internal/modules/cjs/loader:1289:19)\n    at require (node:internal/modules/helpers:182:18)\n  code: 'MODULE_NOT_FOUND',\n  requireStack: [ '/root/.cache/harness/pyodide/0.27.4/pyodide.asm.js' ],\n  pyodide_fatal_error: true\n}\nRecursive call to fatal_error. Inner error was:\nNoGilError: Attempted to use PyProxy when Python GIL not held\n    at throw_no_gil (/root/.cache/harness/pyodide/0.27.4/pyodide.asm.js:10:24906)\n    at wasm://wasm/0268a77a:wasm-function[476]:0x176fbc\nRecursive call to fatal_error. Inner error was:\nNoGilError: Attempted to use PyProxy when Python GIL not held\n    at throw_no_gil (/root/.cache/harness/pyodide/0.27.4/pyodide.asm.js:10:24906)\n    at wasm://wasm/0268a77a:wasm-function[476]:0x176fbc\nError: Cannot find module 'ws'\nRequire stack:\n- /root/.cache/harness/pyodide/0.27.4/pyodide.asm.js",
        "cannot listen or be paired",
    ),
    # test_repr_nested on Pyodide 314.0.7
    (
        "314.0.7",
        "runtime exited unexpectedly while running crash_rec.py::test_repr_nested\nnode exit code 70\nPyodide has suffered a fatal error. Please report this to the Pyodide maintainers.\nThe cause of the fatal error was:\nRangeError: Maximum call stack size exceeded\n    at wasm://wasm/0249d42a:wasm-function[2105]:0xfa721\n    at wasm://wasm/0249d42a:wasm-function[2119]:0xfb7aa\n  pyodide_fatal_error: true\n}\nRangeError: Maximum call stack size exceeded",
        "JavaScript stack overflowed",
    ),
    # test_json_nested on Pyodide 0.27.4
    (
        "0.27.4",
        "runtime exited unexpectedly while running crash_rec.py::test_json_nested\nnode exit code 70\nPyodide has suffered a fatal error. Please report this to the Pyodide maintainers.\nThe cause of the fatal error was:\nRangeError: Maximum call stack size exceeded\n    at wasm://wasm/0268a77a:wasm-function[9543]:0x4bc7bc\n    at wasm://wasm/0268a77a:wasm-function[2316]:0x21234f\n  pyodide_fatal_error: true\n}\nRangeError: Maximum call stack size exceeded",
        "JavaScript stack overflowed",
    ),
]


@pytest.mark.parametrize(
    ("version", "text", "expected"),
    CAPTURED,
    ids=[f"{v}-{i}" for i, (v, _, _) in enumerate(CAPTURED)],
)
def test_captured_failure_is_explained(version: str, text: str, expected: str) -> None:
    hint = explain(text)
    assert hint is not None, text
    assert expected in hint
    assert "\n" not in hint  # one line


# Real texts of failures that are the project's own (Pyodide 314.0.7).
PROJECT_BUGS = [
    # assert sum([1, 2]) == 4
    ">       assert sum([1, 2]) == 4\nE       assert 3 == 4\nE        +  where 3 = sum([1, 2])\n\ntest_probe.py:51: AssertionError",
    # an assertion that quotes a limitation's message: still the project's bug
    ">       assert message == \"no thread needed\"\nE       AssertionError: assert \"RuntimeError: can't start new thread\" == 'no thread needed'\nE         \nE         - no thread needed\nE         + RuntimeError: can't start new thread\n\ntest_probe.py:55: AssertionError",
    # the source shown in the traceback mentions a limitation; the error is a plain ValueError
    '    def test_x():\n        # RuntimeError: can\'t start new thread\n>       raise ValueError("bad value")\nE       ValueError: bad value\n\ntest_x.py:3: ValueError',
    # a crash that is no limitation: the test called os._exit(3) (tests/projects/crash)
    "runtime exited unexpectedly while running test_crash.py::test_kills_the_runtime\nnode exit code 3\nExit: Program terminated with exit(3)",
    # Python's own recursion limit, raised as on CPython
    ">       def f(n): return f(n + 1) + 1\n                         ^^^^^^^^\nE       RecursionError: maximum recursion depth exceeded\n!!! Recursion detected (same locals & position)\n\ncrash_net.py:43: RecursionError",
    "",
]


@pytest.mark.parametrize("text", PROJECT_BUGS)
def test_project_failures_get_no_hint(text: str) -> None:
    assert explain(text) is None


def test_every_traceback_style_is_understood() -> None:
    """--tb=long/short/line/native texts of the same failure (real, Pyodide 314.0.7)."""
    styles = {
        "long": ">       os.fork()\nE       OSError: [Errno 52] Function not implemented\n\ntest_proc.py:33: OSError",
        "short": "test_proc.py:33: in test_fork\n    os.fork()\nE   OSError: [Errno 52] Function not implemented",
        "native": 'Traceback (most recent call last):\n  File "/tmp/probe/test_proc.py", line 33, in test_fork\n    os.fork()\n    ~~~~~~~^^\nOSError: [Errno 52] Function not implemented',
        "line": "E   OSError: [Errno 52] Function not implemented",
    }
    hints = {style: explain(text) for style, text in styles.items()}
    assert all(hints.values()), hints
    # With the source line shown, the hint can say it was fork; --tb=line only has the errno.
    assert "forked" in hints["long"] and "forked" in hints["short"] and "forked" in hints["native"]
    assert hints["line"] == "not possible in Pyodide: this system call is not implemented in WebAssembly"


def test_missing_module_needs_a_known_module() -> None:
    assert explain("E   ModuleNotFoundError: No module named 'tkinter.ttk'")
    assert explain("E   ModuleNotFoundError: No module named 'my_project_helper'") is None
    # 'test' is a common name for a project's own package: only CPython's test.support counts.
    assert explain("E   ModuleNotFoundError: No module named 'test'") is None
    assert explain(">   from test import support\nE   ModuleNotFoundError: No module named 'test'")


def test_errno_numbers_need_a_comparison_with_the_host_number() -> None:
    text = "E   FileNotFoundError: [Errno 44] No such file or directory: 'x'"
    assert explain(text) is None  # the test failed for another reason
    assert "ENOENT" in (explain(text + "\nE   assert 44 == 2") or "")


def test_table_lists_where_each_pattern_was_seen() -> None:
    for limitation in limitations.LIMITATIONS:
        assert limitation.seen and limitation.hint and limitation.kind
        assert "\n" not in limitation.hint


def test_summarize() -> None:
    thread = "not possible in Pyodide: threads cannot be started"
    process = "not possible in Pyodide: processes cannot be started (subprocess, os.popen)"
    hints = {"a": thread, "b": process, "c": thread, "d": None}
    assert summarize(hints, failed=12) == [
        "12 failed, of which 3 are WebAssembly limitations",
        f"    2  {thread}",
        f"    1  {process}",
    ]
    assert summarize([thread], failed=1) == [
        "1 failed, of which 1 is a WebAssembly limitation",
        f"    1  {thread}",
    ]
    assert summarize([process, process]) == ["2 failures are WebAssembly limitations", f"    2  {process}"]
    assert summarize({}) == summarize([None]) == []
