"""Boot time per browser launcher: from ``Runtime.start()`` to Pyodide's ``ready``.

    python bench/launchers.py                      # every local launcher this machine has
    python bench/launchers.py --repeat 5 --grid http://127.0.0.1:4444 \
        --playwright-server ws://127.0.0.1:3000/ --cdp http://127.0.0.1:9222

Two figures per launcher (medians): ``launch→ready`` (what a run waits for) and
``page→ready`` (Pyodide's own boot inside the page, ``ready.boot_ms``); their difference is
what the launcher itself costs (starting a driver, creating a session, navigating). A launcher
this machine lacks is listed as unavailable with the reason.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.host.intake import EventQueue
from harness.options import Settings
from harness.provision.boot import boot_config
from harness.runtimes import runtime_class
from harness.runtimes.base import wait_ready

LOCAL: dict[str, dict[str, str]] = {
    "direct chromium": {"runtime": "chromium", "driver": "direct"},
    "direct firefox": {"runtime": "firefox", "driver": "direct"},
    "playwright chromium (executable_path)": {
        "runtime": "chromium",
        "driver": "playwright",
        "browser_path": "/usr/bin/chromium",
    },  # fmt: skip
    "selenium chromium": {"runtime": "chromium", "driver": "selenium"},
    "selenium firefox": {"runtime": "firefox", "driver": "selenium"},
    "selenium webkit (WebKitGTK)": {"runtime": "webkit", "driver": "selenium"},
    "playwright webkit": {"runtime": "webkit", "driver": "playwright"},
}


def once(values: dict[str, str], project: Path, index: int) -> tuple[float, float]:
    settings = Settings.from_values(values)
    boot = boot_config(settings, cwd=project, paths=[])
    runtime = runtime_class(settings.runtime)(boot, EventQueue(), f"bench{index}")
    started = time.monotonic()
    try:
        runtime.start()
        ready: Any = wait_ready(runtime)
        elapsed = time.monotonic() - started
        runtime.exit()
    finally:
        runtime.kill()
        boot.cleanup()
    return elapsed, ready["boot_ms"] / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pyodide", default=None)
    parser.add_argument("--grid", help="a Selenium Grid URL (its nodes need chromium + chromedriver)")
    parser.add_argument("--playwright-server", help="a Playwright server's ws:// URL")
    parser.add_argument("--cdp", help="a Chromium's DevTools endpoint (http://host:port)")
    parser.add_argument("--browser-options", help="--browser-options FILE for the chromium cases (e.g. --no-sandbox)")
    parser.add_argument("--only", help="comma-separated launcher names (default: all)")
    args = parser.parse_args()
    cases = dict(LOCAL)
    for name, url in (("grid chromium", args.grid), ("playwright server chromium", args.playwright_server),
                      ("cdp chromium", args.cdp)):  # fmt: skip
        if url:
            cases[name] = {"runtime": "chromium", "remote": url}
    project = Path(tempfile.mkdtemp(prefix="bench-launchers-"))
    (project / "test_a.py").write_text("def test_a():\n    pass\n")
    print(f"{'launcher':40} {'launch→ready':>14} {'page→ready':>12} {'launcher cost':>14}")
    for name, values in cases.items():
        values = dict(values)
        if args.pyodide:
            values["pyodide"] = args.pyodide
        if args.only and name not in args.only.split(","):
            continue
        if args.browser_options and values["runtime"] == "chromium":
            values["browser_options"] = args.browser_options
        try:
            runs = [once(values, project, i) for i in range(args.repeat)]
        except HarnessError as exc:
            print(f"{name:40} unavailable: {exc}")
            continue
        total = statistics.median(r[0] for r in runs)
        page = statistics.median(r[1] for r in runs)
        print(f"{name:40} {total:12.1f} s {page:10.1f} s {total - page:12.1f} s", flush=True)


if __name__ == "__main__":
    main()
