"""Known WebAssembly/Pyodide limitations, recognised from a failure's text.

``explain(longrepr_text)`` returns a one-line hint when a failed report's text shows a known
limitation of the runtime (threads, processes, signals, IPv6, network, stack switching, a stdlib
module Pyodide does not ship, ...), so authors can tell at a glance which failures are theirs to
fix. ``summarize(hints)`` turns the hints of a run into summary lines.

Every pattern below was checked against what the runtime really prints: probe tests were run
through ``harness run`` on Pyodide 314.0.7 (Python 3.14) and 0.27.4 (Python 3.12) under Node 20,
and the texts were read back from the JUnit XML. ``seen`` names the versions each one appeared on
("both" = 314.0.7 and 0.27.4). tests/test_limitations.py keeps those texts and re-runs a probe
project on the versions the test suite covers (314.0.7 and 0.29.5).

Only exception messages are searched, not the test's source code shown in the traceback nor the
output of a failed assertion: with pytest's ``long``/``short``/``line``/``native`` formats the
messages are the lines starting at column 0 (``E   RuntimeError: ...``, ``path:12: ...``,
``RuntimeError: ...``), with their continuation lines; a crashed runtime's report has its JS
error lines there too (``RangeError: ...``, ``Error: Cannot find module 'ws'``). A test whose
source or assertion merely quotes ``can't start new thread`` is not taken for a limitation.
"""

from __future__ import annotations

import errno
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

PREFIX = "not possible in Pyodide: "


@dataclass(frozen=True)
class Limitation:
    kind: str  # threads, processes, signals, ipv6, network, stack-switching, module, ...
    pattern: re.Pattern[str]  # searched in the exception lines of the failure text
    hint: str  # one line shown to the user
    seen: str  # Pyodide versions where the text was observed
    # When set, the failure text as a whole (source lines included) must also match this.
    context: re.Pattern[str] | None = None


def _l(kind: str, pattern: str, hint: str, seen: str, context: str | None = None) -> Limitation:
    return Limitation(kind, re.compile(pattern, re.MULTILINE), hint, seen, re.compile(context) if context else None)


# Where a split-out stdlib module comes from (the harness loads them itself when it can).
_SPLIT = " (a package of Pyodide's lock: from its CDN, --package-url or a full --dist-dir)"

# Modules that CPython on Linux has and Pyodide leaves out of its stdlib (checked by importing
# each one in the runtime). Versions: "both", or the only one that lacks it.
_MISSING_MODULES: dict[str, tuple[str, str]] = {
    # module: (what it is, versions where `import` fails)
    "_multiprocessing": ("multiprocessing needs processes", "both"),
    "ssl": ("module ssl is not in this runtime (TLS); add it with --with ssl" + _SPLIT, "0.27.4"),
    "_ssl": ("module ssl is not in this runtime (TLS); add it with --with ssl" + _SPLIT, "0.27.4"),
    "sqlite3": ("module sqlite3 is not in this runtime; add it with --with sqlite3" + _SPLIT, "0.27.4"),
    "_sqlite3": ("module sqlite3 is not in this runtime; add it with --with sqlite3" + _SPLIT, "0.27.4"),
    "lzma": ("module lzma is not in this runtime; add it with --with lzma" + _SPLIT, "0.27.4"),
    "_lzma": ("module lzma is not in this runtime; add it with --with lzma" + _SPLIT, "0.27.4"),
    "tkinter": ("no GUI toolkit (tkinter)", "both"),
    "_tkinter": ("no GUI toolkit (tkinter)", "both"),
    "turtle": ("no GUI toolkit (turtle needs tkinter)", "both"),
    "idlelib": ("no GUI toolkit (idlelib)", "both"),
    "curses": ("no terminal (curses)", "both"),
    "_curses": ("no terminal (curses)", "both"),
    "readline": ("no terminal (readline)", "both"),
    "termios": ("no terminal (termios)", "0.27.4"),
    "fcntl": ("fcntl is not in this Pyodide's stdlib", "0.27.4"),
    "resource": ("no process resource limits (resource)", "both"),
    "grp": ("no user/group database (grp)", "both"),
    "pwd": ("no user/group database (pwd)", "both"),
    "syslog": ("no system log (syslog)", "both"),
    "dbm": ("no dbm database modules", "both"),
    "_dbm": ("no dbm database modules", "both"),
    "_gdbm": ("no dbm database modules", "both"),
    "venv": ("no virtual environments (venv)", "both"),
    "ensurepip": ("no pip bootstrap (ensurepip)", "both"),
    "_hashlib": ("no OpenSSL-backed hashlib (_hashlib)", "both"),
    "_uuid": ("no libuuid (_uuid)", "both"),
    "_interpreters": ("no subinterpreters (_interpreters)", "314.0.7"),
    "_interpqueues": ("no subinterpreters (_interpqueues)", "314.0.7"),
}

# os functions CPython on Linux has and Pyodide lacks (hasattr checked in the runtime); the
# process-related ones (posix_spawn, forkpty, wait3/wait4, pidfd_open) have their own entry.
_MISSING_OS = (
    "link",
    "mkfifo",
    "mknod",
    "getgroups",
    "initgroups",
    "setxattr",
    "getxattr",
    "listxattr",
    "sendfile",
    "sched_getaffinity",
    "sched_setaffinity",
    "memfd_create",
    "eventfd",
    "splice",
    "pipe2",
    "nice",
    "getrandom",
    "get_terminal_size",
)

_MODULE_RE = "|".join(re.escape(m) for m in _MISSING_MODULES)

LIMITATIONS: tuple[Limitation, ...] = (
    # -- threads ---------------------------------------------------------------------------
    _l("threads", r"RuntimeError: can't start new thread", PREFIX + "threads cannot be started", "both"),
    _l(
        "threads",
        r"RuntimeError: unable to start watchdog thread",
        PREFIX + "faulthandler's watchdog needs a thread (dump_traceback_later, faulthandler_timeout)",
        "both, without the harness's faulthandler-watchdog patch",
    ),
    _l(
        "threads",
        r"module 'threading' has no attribute 'get_native_id'|module 'time' has no attribute 'thread_time'",
        PREFIX + "there are no native threads",
        "both",
    ),
    # -- processes -------------------------------------------------------------------------
    _l(
        "processes",
        r"\[Errno 138\] emscripten does not support processes",
        PREFIX + "processes cannot be started (subprocess, os.popen)",
        "both",
    ),
    _l(
        "processes",
        r"No module named '_multiprocessing'"
        r"|This Python build lacks multiprocessing\.synchronize",
        PREFIX + "multiprocessing needs processes",
        "both",
    ),
    _l(
        "processes",
        r"module 'os' has no attribute '(posix_spawnp?|forkpty|wait3|wait4|pidfd_open)'",
        PREFIX + "processes cannot be started or waited for (os.{0} does not exist)",
        "both (wait3/wait4: 0.27.4)",
    ),
    _l(
        "processes",
        r"\[Errno 45\] Exec format error",
        PREFIX + "a process cannot exec another program",
        "both",
        context=r"\bexec[lv]p?e?\b|\bexecv",
    ),
    _l(
        "processes",
        r"\[Errno 52\] Function not implemented",
        PREFIX + "processes cannot be forked, spawned or waited for",
        "both",
        context=r"\bos\.(fork|spawn|wait|exec)|multiprocessing|\bfork\(|Popen",
    ),
    _l(
        "syscall",
        r"\[Errno 52\] Function not implemented",
        PREFIX + "this system call is not implemented in WebAssembly",
        "both",
    ),
    _l(
        "terminal",
        r"OSError: out of pty devices|module 'os' has no attribute 'openpty'",
        PREFIX + "there are no pseudo-terminals",
        "314.0.7 (out of pty devices); both (openpty)",
    ),
    # -- signals ---------------------------------------------------------------------------
    _l(
        "signals",
        r"module 'signal' has no attribute '(alarm|setitimer|pthread_kill|pidfd_send_signal)'",
        PREFIX + "there are no timer or inter-thread signals (signal.{0} does not exist)",
        "both",
    ),
    # -- sockets and network ---------------------------------------------------------------
    _l(
        "ipv6",
        r"can't use AF_INET6|unknown address family 10\b|\bbind\(\): bad family"
        r"|\[Errno 5\] Address family not supported by protocol",
        PREFIX + "IPv6 is disabled (only IPv4 sockets exist)",
        "both (bind(): bad family: 0.27.4; [Errno 5]: 314.0.7)",
    ),
    _l(
        "network",
        r"module 'socket' has no attribute 'AF_UNIX'",
        PREFIX + "there are no Unix domain sockets",
        "both",
    ),
    _l(
        "network",
        r"\[Errno 23\] Host is unreachable",
        PREFIX + "sockets cannot reach the network (connect fails)",
        "both",
    ),
    _l(
        "network",
        r"\[Errno 138\] Not supported",
        PREFIX + "sockets cannot listen or be paired",
        "both (with the sockets-listen patch; browsers give the same error)",
        context=r"listen|socketpair|create_server|serve_forever|start_server|TCPServer",
    ),
    _l(
        "network",
        r"Cannot find module 'ws'",
        PREFIX + "sockets cannot listen or be paired (the runtime died in listen())",
        "both (fatal: the runtime exits)",
    ),
    # -- stack switching (JSPI) ------------------------------------------------------------
    _l(
        "stack-switching",
        r"WebAssembly stack switching not supported",
        PREFIX + "blocking on the event loop needs WebAssembly stack switching (JSPI), which this"
        " JavaScript runtime lacks",
        "314.0.7 (asyncio.run, run_until_complete, pyodide.ffi.run_sync)",
    ),
    _l(
        "event-loop",
        r"got Future <PyodideFuture .*> attached to a different loop",
        "Pyodide's event loop: asyncio.new_event_loop() inside a running coroutine makes the new WebLoop"
        " the running loop, so the coroutine's next await fails (under JSPI; freezegun's real_asyncio)",
        "314.0.7 with JSPI (freezegun's test_asyncio_sleeping_not_affected_by_freeze_time; bare Pyodide too)",
    ),
    _l(
        "stack-switching",
        r"asyncio\.run\(\) cannot be called from a running event loop",
        PREFIX + "Pyodide's event loop is always running, so asyncio.run() cannot block on it",
        "0.27.4",
    ),
    # -- memory and stack ------------------------------------------------------------------
    _l(
        "stack",
        r"RangeError: Maximum call stack size exceeded",
        PREFIX + "the JavaScript stack overflowed before Python's recursion limit was reached",
        "crash texts",
    ),
    _l(
        "memory",
        r"^MemoryError\b|Aborted\(OOM\)|Cannot enlarge memory|Array buffer allocation failed",
        PREFIX + "WebAssembly memory is 32-bit (at most 4 GB)",
        "both (MemoryError)",
    ),
    # -- stdlib parts Pyodide lacks --------------------------------------------------------
    _l(
        "module",
        r"module 'hashlib' has no attribute '(pbkdf2_hmac|scrypt)'|unsupported hash type (ripemd160)",
        PREFIX + "hashlib has no OpenSSL ({0} is missing)",
        "both",
    ),
    _l(
        "timezone",
        r"On Pyodide you must do pyodide\.loadPackage\('tzdata'\)",
        "Pyodide has no system time zone database: add it with `harness run --with tzdata`",
        "both",
    ),
    _l(
        "timezone",
        r"module 'time' has no attribute 'tzset'",
        PREFIX + "time.tzset does not exist (the TZ variable cannot be re-read)",
        "both",
    ),
    _l(
        "tls",
        r"SSL is not supported in Pyodide|TLS not supported in this environment",
        PREFIX + "there is no TLS (ssl contexts cannot wrap sockets or BIOs)",
        "314.0.7",
    ),
    _l(
        "tls",
        r"unknown url type: https",
        PREFIX + "there is no TLS (this Pyodide has no ssl module, so urllib has no https)",
        "0.27.4",
    ),
    _l(
        "memory",
        r"cannot fit 'int' into an index-sized integer",
        PREFIX + "WebAssembly is 32-bit: sizes above 2**31 - 1 do not fit",
        "both (bytearray(5 * 2**30))",
    ),
    _l(
        "os",
        rf"module 'os' has no attribute '({'|'.join(_MISSING_OS)})'",
        PREFIX + "os.{0} does not exist in WebAssembly (Emscripten)",
        "both (get_terminal_size: 0.27.4)",
    ),
    _l(
        "module",
        r"module 'select' has no attribute 'epoll'",
        PREFIX + "select.epoll does not exist",
        "both",
    ),
    _l(
        "module",
        r"No module named 'test'",
        PREFIX + "CPython's own test package (test.support) is not shipped",
        "both",
        context=r"\btest\.support\b|from test import|import test\b",
    ),
)

_MODULE_PATTERN = re.compile(rf"No module named '({_MODULE_RE})(?:\.[\w.]+)?'")

# Column-0 lines hold the exception text in every traceback style pytest prints: "E   Type: msg"
# (long/short), "path:12: Type: msg" (line), "Type: msg" (native, crash texts). Indented lines
# are source code or JavaScript stack frames.
_E_PREFIX = re.compile(r"^E(?:\s+|$)")  # "E   RuntimeError: ..." but not "Error: ..."
_LOCATION = re.compile(r"^\S+:\d+: ")  # --tb=line and the location line under a long traceback
_EXCEPTION_START = re.compile(
    r"^(?:[A-Za-z_][\w.]*\.)?(?:[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt|Warning)|Error|Failed)\b"
)
_ASSERTION_START = re.compile(r"^(?:[\w.]*\.)?(?:AssertionError|Failed)\b|^assert\b")


def _exception_lines(text: str) -> str:
    """The exception messages of a failure text, without source code and assertion output.

    An exception's message may continue on the next lines; they are kept with it. Assertion
    failures are dropped whole: their text quotes the test's own values, which may mention a
    limitation's message without being one.
    """
    kept: list[str] = []
    keep = False
    for raw in text.splitlines():
        if not raw or raw[0] in " \t>":
            continue  # source code shown in the traceback, JS stack frames
        line = _LOCATION.sub("", _E_PREFIX.sub("", raw))
        if _ASSERTION_START.match(line):
            keep = False
        elif _EXCEPTION_START.match(line):
            keep = True
        elif not raw.startswith("E"):
            keep = False  # a headline or note outside any exception message
            continue
        if keep:
            kept.append(line)
    return "\n".join(kept)


# Emscripten numbers errors its own way ([Errno 44] No such file or directory; Linux says 2).
# A test comparing with the host's number fails only because of that.
_ERRNO = re.compile(
    r"\[Errno (\d+)\] ([A-Za-z][^:'\"\n\]]*)"  # str(): [Errno 44] No such file or directory
    r"|Error\((\d+), '([A-Za-z][^'\n]*)'\)"  # repr(): FileNotFoundError(44, 'No such file ...')
)
_HOST_ERRNO = {os.strerror(number): number for number in errno.errorcode}


def _errno_mismatch(lines: str, text: str) -> Limitation | None:
    for found in _ERRNO.finditer(lines):
        number, message = found.group(1, 2) if found.group(1) else found.group(3, 4)
        wasm, message = int(number), message.strip()
        host = _HOST_ERRNO.get(message)
        if host is None or host == wasm:
            continue
        compared = re.compile(
            rf"\[Errno {host}\]|\berrno\b[^\n]{{0,20}}\b{host}\b|\b{wasm} == {host}\b|\b{host} == {wasm}\b"
        )
        if compared.search(text):
            name = errno.errorcode[host]
            hint = (
                f"Emscripten numbers errors differently: {name} ({message}) is {wasm} in Pyodide,"
                f" {host} on the host; compare with errno.{name}, not the number"
            )
            return Limitation("errno", compared, hint, "both ([Errno 44] No such file or directory)")
    return None


def match(longrepr_text: str) -> Limitation | None:
    """The known limitation a failure text shows, or None."""
    if not longrepr_text:
        return None
    lines = _exception_lines(longrepr_text)
    for limitation in LIMITATIONS:
        found = limitation.pattern.search(lines)
        if not found:
            continue
        if limitation.context and not limitation.context.search(longrepr_text):
            continue
        if "{0}" in limitation.hint:  # name what is missing: "os.link does not exist ..."
            name = next(g for g in found.groups() if g)
            return replace(limitation, hint=limitation.hint.format(name))
        return limitation
    module = _MODULE_PATTERN.search(lines)
    if module:
        what, seen = _MISSING_MODULES[module.group(1)]
        return Limitation("module", _MODULE_PATTERN, f"{PREFIX}{what}", seen)
    every_line = "\n".join(
        _E_PREFIX.sub("", ln) for ln in longrepr_text.splitlines() if ln[:1] not in ("", " ", "\t", ">")
    )
    return _errno_mismatch(every_line, longrepr_text)


def explain(longrepr_text: str) -> str | None:
    """A one-line hint when the failure text shows a known WebAssembly limitation, else None."""
    found = match(longrepr_text)
    return found.hint if found else None


def summarize(hints: Mapping[str, str] | Iterable[str | None], failed: int | None = None) -> list[str]:
    """Summary lines for the hints of one run.

    ``hints`` is ``{nodeid: hint}`` (or any iterable of hints, ``None`` entries ignored);
    ``failed`` is the number of failed tests. Returns ``[]`` when no hint was given, else a
    headline ``"12 failed, of which 10 are WebAssembly limitations"`` (just ``"10 failures are
    WebAssembly limitations"`` without ``failed``) followed by one ``"  COUNT  HINT"`` line per
    distinct hint, most frequent first.
    """
    values = list(hints.values()) if isinstance(hints, Mapping) else list(hints)
    counts = Counter(h for h in values if h)
    total = sum(counts.values())
    if not total:
        return []
    noun = "is a WebAssembly limitation" if total == 1 else "are WebAssembly limitations"
    if failed is None:
        head = f"{total} failure{'' if total == 1 else 's'} {noun}"
    else:
        head = f"{failed} failed, of which {total} {noun}"
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [head] + [f"{count:5d}  {hint}" for hint, count in ordered]
