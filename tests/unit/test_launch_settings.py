"""Browser options without a browser: checking, the options file, the launcher choice, and
where the run's server listens (real sockets on loopback addresses)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.host.intake import EventQueue
from harness.options import Settings
from harness.runtimes import runtime_class
from harness.runtimes.chromium import ChromiumRuntime
from harness.runtimes.launchers import plan as launch
from harness.runtimes.launchers.settings import LaunchSettings
from harness.runtimes.web.server import Channel, RunServer
from harness.runtimes.webkit import WebKitRuntime


def settings(**values: str) -> LaunchSettings:
    return Settings.from_values(values).launch


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"driver": "puppeteer"},
            "unknown driver 'puppeteer' for --driver; choose one of: direct, playwright, selenium",
        ),
        ({"remote": "grid:4444"}, "--remote expects an http(s):// or ws(s):// URL, not 'grid:4444'"),
        ({"remote": "ws://pw:3000/", "driver": "selenium"}, "a ws:// URL is a Playwright server"),
        ({"remote": "http://grid:4444", "driver": "direct"}, "--remote needs a driver"),
        ({"bind": "0.0.0.0"}, "--bind 0.0.0.0 needs --advertise HOST"),
        ({"bind": "my-laptop"}, "--bind expects an IP address of this machine, not 'my-laptop'"),
    ],
)
def test_bad_values_are_one_line(values: dict[str, str], message: str) -> None:
    with pytest.raises(HarnessError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings(**values)


def test_options_file_reads_credentials_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cloud.json"
    options = {"selenium": {"capabilities": {"cloud:options": {"user": "${CLOUD_USER}", "key": "${CLOUD_KEY}"}}}}
    path.write_text(json.dumps({**options, "arguments": ["--proxy-server=${PROXY}"]}))
    monkeypatch.setenv("CLOUD_USER", "me")
    monkeypatch.setenv("CLOUD_KEY", "s3cret")
    monkeypatch.setenv("PROXY", "http://proxy:3128")
    loaded = settings(browser_options=str(path))
    assert loaded.section("selenium")["capabilities"]["cloud:options"] == {"user": "me", "key": "s3cret"}
    assert loaded.arguments == ["--proxy-server=http://proxy:3128"]
    monkeypatch.delenv("CLOUD_KEY")
    with pytest.raises(HarnessError, match=rf"^--browser-options {path}: environment variable CLOUD_KEY is not set$"):
        settings(browser_options=str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ("[]", "expected a JSON object"),
        ('{"capabilities": {}}', "unknown key 'capabilities'; known: arguments, headless, playwright, selenium"),
        ('{"arguments": "--x"}', "'arguments' must be a list of strings"),
    ],
)
def test_bad_options_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "options.json"
    path.write_text(text)
    with pytest.raises(HarnessError, match=message):
        settings(browser_options=str(path))
    with pytest.raises(HarnessError, match="No such file or directory"):
        settings(browser_options=str(tmp_path / "missing.json"))


def test_only_browser_runtimes_take_browser_options() -> None:
    with pytest.raises(HarnessError, match=r"^--driver, --remote: only browser runtimes take this \(not node\)$"):
        runtime_class("node").launch_plan(settings(driver="selenium", remote="http://grid:4444"))


def test_missing_driver_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "selenium", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "playwright", None)
    with pytest.raises(HarnessError, match=r"pip install 'harness\[selenium\]'"):
        ChromiumRuntime.launch_plan(settings(driver="selenium"))
    with pytest.raises(HarnessError, match=r"pip install 'harness\[playwright\]'"):
        ChromiumRuntime.launch_plan(settings(driver="playwright"))
    with pytest.raises(HarnessError, match=r"--remote ws://pw:3000/ needs the Playwright package"):
        ChromiumRuntime.launch_plan(settings(remote="ws://pw:3000/"))


def test_missing_webdriver_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("selenium")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HarnessError, match=r"^chromium via selenium: chromedriver not found: apt-get install"):
        ChromiumRuntime.launch_plan(settings(driver="selenium"))
    with pytest.raises(HarnessError, match="^webkit has no direct launch"):
        WebKitRuntime.launch_plan(settings(driver="direct"))


def test_direct_is_the_default_where_the_binary_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    chosen = ChromiumRuntime.launch_plan(LaunchSettings())
    assert (chosen.driver, chosen.executable, chosen.description) == ("direct", str(browser), "chromium")


# -- where the run's server listens -------------------------------------------------------


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[type[RunServer]]:
    servers: list[RunServer] = []

    def make(**kw: str) -> RunServer:
        channel = Channel(EventQueue(), "w", lambda fd, data: None)
        server = RunServer(channel, {"boot": 1}, {}, tmp_path, [], [], **kw)
        servers.append(server)
        return server

    yield make  # type: ignore[misc]
    for server in servers:
        server.close()


def status(host: str, port: int, path: str) -> int | str:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError as exc:
        return type(exc.reason).__name__


def test_server_listens_only_where_bound_and_still_wants_the_token(make_server) -> None:
    default = make_server()
    port = default.address[1]
    assert status("127.0.0.1", port, f"/{default.token}/boot.json") == 200
    assert status("127.0.0.2", port, f"/{default.token}/boot.json") == "ConnectionRefusedError"
    other = make_server(bind="127.0.0.2", url_host="tests.example")
    port = other.address[1]
    assert other.url == f"http://tests.example:{port}/{other.token}/page.html"
    assert status("127.0.0.2", port, f"/{other.token}/boot.json") == 200
    assert status("127.0.0.2", port, "/boot.json") == 403
    assert status("127.0.0.2", port, f"/{other.token[:-1]}x/boot.json") == 403
    assert status("127.0.0.1", port, f"/{other.token}/boot.json") == "ConnectionRefusedError"


def test_server_on_every_address_is_reached_at_the_advertised_name(make_server) -> None:
    anywhere = make_server(bind="0.0.0.0", url_host="127.0.0.3")
    port = anywhere.address[1]
    assert anywhere.url.startswith(f"http://127.0.0.3:{port}/")
    assert status("127.0.0.3", port, f"/{anywhere.token}/boot.json") == 200
    assert status("127.0.0.3", port, "/x/boot.json") == 403


def test_unknown_remote_kind_is_asked_of_the_endpoint() -> None:
    """An http URL that is no DevTools endpoint (here: nothing listens) is one line."""
    with pytest.raises(HarnessError, match=r"^--remote http://127\.0\.0\.1:9/: cannot reach it: Connection refused$"):
        launch.is_cdp("http://127.0.0.1:9/")
