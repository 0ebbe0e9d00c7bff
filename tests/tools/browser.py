"""Open a local HTML file in headless Chromium (the Debian package): screenshot it, dump its DOM after
load, and count every network request it tries to make (all traffic goes through a recording proxy)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
         "--no-pings", "--disable-domain-reliability", "--disable-client-side-phishing-detection"]


def chromium() -> str | None:
    """The chromium binary, None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Opened:
    dom: str
    requests: list[str] = field(default_factory=list)   # request lines the page sent (browser chatter removed)


def _host(request_line: str) -> str:
    """The host a proxied request line goes to ("CONNECT h:443 …" or "GET http://h/… …")."""
    target = request_line.split(" ")[1] if " " in request_line else ""
    return target.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]


class _RecordingProxy:
    """An HTTP proxy on 127.0.0.1 that answers nothing and remembers every request line (CONNECT too)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    line = ""
                if line:
                    self.requests.append(line)
                try:
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def close(self):
        self.sock.close()


_CHATTER: set[str] = set()   # hosts Chromium contacts on a blank page, learnt once per process


def _run(binary: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="kcorpus-chromium-") as profile:
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)


def open_page(page: Path, *, screenshot: Path | None = None, width: int = 1200, height: int = 1600,
              timeout: float = 60) -> Opened:
    """Load `page` (a local file) in headless Chromium behind a recording proxy; return its DOM after load
    and the requests it tried to send; with `screenshot`, also write a PNG of the page."""
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
    proxy = _RecordingProxy()
    try:
        network = [f"--proxy-server=http://127.0.0.1:{proxy.port}", "--proxy-bypass-list=<-loopback>"]
        url = page.resolve().as_uri()
        # Chromium talks to its own services (update, time, accounts) whatever the page: learn those hosts
        # from a blank page first, and count only what the page added.
        if not _CHATTER:
            _run(binary, network + ["--virtual-time-budget=3000", "--dump-dom", "about:blank"], timeout)
            _CHATTER.update(_host(r) for r in proxy.requests)
            proxy.requests.clear()
        chatter = _CHATTER
        dumped = _run(binary, network + ["--virtual-time-budget=3000", "--dump-dom", url], timeout)
        page_requests = [r for r in proxy.requests if _host(r) not in chatter]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            _run(binary, network + [f"--screenshot={screenshot}", f"--window-size={width},{height}",
                                    "--hide-scrollbars", url], timeout)
        return Opened(dumped.stdout, page_requests)
    finally:
        proxy.close()


def chromium_driver():
    """A Selenium WebDriver over the Debian chromium and chromium-driver packages (headless, no background
    networking, network log on). Skips the calling test, with the reason, when either is missing."""
    import pytest

    driver_path = shutil.which("chromedriver")
    if chromium() is None or driver_path is None:
        pytest.skip("no Chromium here: apt-get install chromium chromium-driver (.ci/run does)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]')")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium()
    for flag in FLAGS + ["--window-size=1280,1600", f"--user-data-dir={tempfile.mkdtemp(prefix='kcorpus-chromium-')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)
