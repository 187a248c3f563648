"""Known WebAssembly/Pyodide limitations, recognised from a failure's text.

``explain(longrepr_text)`` returns a one-line hint when a failed report's text shows a known
limitation of the runtime (threads, processes, signals, IPv6, network, stack switching, a stdlib
module Pyodide does not ship, ...), so authors can tell at a glance which failures are theirs to
fix. ``summarize(hints)`` turns the hints of a run into summary lines.

Every pattern below was checked against what the runtime really prints: probe tests were run
through ``harness run`` on Pyodide 314.0.7 (Python 3.14) and 0.27.4 (Python 3.12) under Node 20,
and the texts were read back from the JUnit XML. ``seen`` names the versions each one appeared on
("both" = 314.0.7 and 0.27.4). tests/test_limitations.py keeps those texts and re-runs a probe
project.

Only the lines that carry an exception are searched, not the test's source code shown in the
traceback: with pytest's ``long``/``short``/``line``/``native`` formats those are the lines
starting at column 0 (``E   RuntimeError: ...``, ``path:12: RuntimeError: ...``,
``RuntimeError: ...``), plus the headline and JS error lines of a crashed runtime. A test whose
source merely mentions ``can't start new thread`` is therefore not taken for a limitation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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
    return Limitation(kind, re.compile(pattern, re.M), hint, seen, re.compile(context) if context else None)


# Modules that CPython on Linux has and Pyodide leaves out of its stdlib (checked by importing
# each one in the runtime). Versions: "both", or the only one that lacks it.
_MISSING_MODULES: dict[str, tuple[str, str]] = {
    # module: (what it is, versions where `import` fails)
    "_multiprocessing": ("multiprocessing needs processes", "both"),
    "ssl": ("the ssl module is not in this Pyodide's stdlib (TLS)", "0.27.4"),
    "_ssl": ("the ssl module is not in this Pyodide's stdlib (TLS)", "0.27.4"),
    "sqlite3": ("sqlite3 is not in this Pyodide's stdlib", "0.27.4"),
    "_sqlite3": ("sqlite3 is not in this Pyodide's stdlib", "0.27.4"),
    "lzma": ("lzma is not in this Pyodide's stdlib", "0.27.4"),
    "_lzma": ("lzma is not in this Pyodide's stdlib", "0.27.4"),
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
        PREFIX + "processes cannot be started or waited for",
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
        context=r"fork|spawn|wait|multiprocessing|Process\b|Popen",
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
        PREFIX + "no timer or inter-thread signals (signal.alarm/setitimer/pthread_kill)",
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
        r"module 'hashlib' has no attribute '(pbkdf2_hmac|scrypt)'|unsupported hash type ripemd160",
        PREFIX + "hashlib has no OpenSSL (pbkdf2_hmac, scrypt, ripemd160 are missing)",
        "both",
    ),
    _l(
        "timezone",
        r"On Pyodide you must do pyodide\.loadPackage\('tzdata'\)"
        r"|module 'time' has no attribute 'tzset'",
        "Pyodide has no system time zone database: add it with `harness run --with tzdata`"
        " (time.tzset does not exist)",
        "both",
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

# Column-0 lines hold the exception text in every traceback style pytest prints.
_E_PREFIX = re.compile(r"^E\s{0,8}")


def _exception_lines(text: str) -> str:
    """The lines of a failure text that can carry an exception message, ``E`` prefix removed."""
    lines = []
    for line in text.splitlines():
        if not line or line[0] in " \t>":
            continue  # source code shown in the traceback, JS stack frames
        lines.append(_E_PREFIX.sub("", line) if line.startswith("E") else line)
    return "\n".join(lines)


def match(longrepr_text: str) -> Limitation | None:
    """The known limitation a failure text shows, or None."""
    if not longrepr_text:
        return None
    lines = _exception_lines(longrepr_text)
    for limitation in LIMITATIONS:
        if not limitation.pattern.search(lines):
            continue
        if limitation.context and not limitation.context.search(longrepr_text):
            continue
        return limitation
    found = _MODULE_PATTERN.search(lines)
    if found:
        what, seen = _MISSING_MODULES[found.group(1)]
        return Limitation("module", _MODULE_PATTERN, f"{PREFIX}{what}", seen)
    return None


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
