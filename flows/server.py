"""The embedded Prefect server as a child process that cannot outlive the kcorpus command that started it.

Prefect's own ephemeral server is a `python -m uvicorn` subprocess stopped by an atexit hook: a
`kill -9` of kcorpus skips the hook and leaves it running (~250 MB; measured 24 of 31 kills). kcorpus
therefore starts the server itself, as `python -m flows.server`, with two independent guards:

  1. PR_SET_PDEATHSIG (Linux): the kernel sends the child SIGKILL when its parent dies, however it dies;
  2. a pipe: the parent holds the only write end; when the parent dies the kernel closes it, the
     child's watchdog thread reads end-of-file and exits (works where prctl does not exist).

The listening socket is bound by the parent and handed to the child (no port race), and the parent
points PREFECT_API_URL at it. A server the user configured (PREFECT_API_URL) is used instead, after
a health check that turns "unreachable" into one line.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time

_started: "GuardedServer | None" = None
_settings = None  # the Prefect settings context ensure_api entered for the embedded server


class PrefectUnreachable(RuntimeError):
    """The configured Prefect server does not answer, or the embedded one did not start."""


def healthy(api_url: str, timeout: float = 3.0) -> bool:
    """True when the Prefect API at `api_url` answers its health check."""
    import httpx
    try:
        return httpx.get(api_url.rstrip("/") + "/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


class GuardedServer:
    """A Prefect API server in a child process guarded by PDEATHSIG and a lifeline pipe."""

    def __init__(self, startup_timeout: float = 90.0):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        lifeline_read, self._lifeline = os.pipe()  # the write end stays here, never inherited
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1"}
        env.pop("PREFECT_API_URL", None)
        # its output (uvicorn's tracebacks of a failing database among it) goes to the log file, never the
        # terminal; the last lines are kept to say in words why it failed
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flows.server", str(listener.fileno()), str(lifeline_read), str(os.getpid())],
            pass_fds=(listener.fileno(), lifeline_read), env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.output = ServerOutput(self.process.stdout)
        os.close(lifeline_read)
        listener.close()
        deadline = time.monotonic() + startup_timeout
        while not healthy(self.api_url, timeout=2.0):
            if self.process.poll() is not None:
                self.output.finished.wait(5)
                raise PrefectUnreachable(self.output.disk_full() or f"the embedded Prefect server exited with code "
                                                                    f"{self.process.returncode} while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise PrefectUnreachable(f"the embedded Prefect server did not answer within {startup_timeout:.0f} s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self._lifeline is not None:
            os.close(self._lifeline)  # the child's watchdog sees end-of-file and exits
            self._lifeline = None
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ServerOutput:
    """The embedded server's output, read as it comes (a full pipe would stall the server): each line
    to the log file (the `kcorpus.prefect_server` logger at INFO, never on the terminal), the last
    ones kept to name the cause of a failure."""

    DISK_FULL = ("database or disk is full", "No space left on device", "disk I/O error")

    def __init__(self, stream):
        import collections
        import logging

        self.lines: collections.deque[str] = collections.deque(maxlen=400)
        self.finished = threading.Event()
        self._logger = logging.getLogger("kcorpus.prefect_server")
        threading.Thread(target=self._read, args=(stream,), daemon=True, name="prefect-server-output").start()

    def _read(self, stream) -> None:
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip()
                self.lines.append(line)
                self._logger.info(line)
        finally:
            self.finished.set()

    def disk_full(self) -> str | None:
        """"disk full ... " when the server's database could not be written for want of space."""
        if not any(words in line for line in list(self.lines) for words in self.DISK_FULL):
            return None
        home = os.environ.get("PREFECT_HOME") or "~/.prefect"
        return (f"disk full (no space left on device): the embedded Prefect server's database "
                f"({home}/prefect.db) could not be written")


def embedded_disk_full() -> str | None:
    """Why the embedded Prefect server failed, when it was a full disk (else None)."""
    return _started.output.disk_full() if _started is not None else None


def ensure_api() -> str:
    """The Prefect API this process uses: the configured one (checked), or a guarded embedded server
    started once per process. Sets PREFECT_API_URL (and Prefect's live settings if it is imported)."""
    global _started
    configured = os.environ.get("PREFECT_API_URL")
    if configured is None and "prefect" in sys.modules:  # e.g. a test harness's temporary settings
        from prefect.settings import PREFECT_API_URL
        configured = PREFECT_API_URL.value()
    if configured:
        if not healthy(configured):
            raise PrefectUnreachable(f"Prefect server unreachable at {configured} (is `prefect server start` "
                                     f"running? unset PREFECT_API_URL to use an embedded one)")
        return configured
    if threading.current_thread() is not threading.main_thread():
        # PDEATHSIG follows the thread that started the child; only the main thread lives as long as the process
        raise RuntimeError("the embedded Prefect server must be started from the main thread")
    timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
    _started = GuardedServer(startup_timeout=timeout)
    atexit.register(_started.stop)
    os.environ["PREFECT_API_URL"] = _started.api_url
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    # Heartbeats let a server mark a run whose process died as crashed. The embedded server dies with
    # this process, so nobody reads them, and a sync flow run waits up to 1 s at its end for the
    # heartbeat thread to wake (measured: 1.1 s -> 0.13 s per flow run). A real server keeps them.
    global _settings
    # kept referenced: a collected context manager would exit and restore the old settings
    _settings = temporary_settings(updates={PREFECT_API_URL: _started.api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    _settings.__enter__()
    return _started.api_url


# --- the child ------------------------------------------------------------------------------------

def _die_with_parent(parent_pid: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        import ctypes
        PR_SET_PDEATHSIG = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def _watch_lifeline(fd: int) -> None:
    """Exit when the parent's end of the pipe closes (the parent exited or was killed)."""
    while os.read(fd, 1):
        pass
    os._exit(0)


def main(argv: list[str]) -> None:
    listen_fd, lifeline_fd, parent_pid = int(argv[0]), int(argv[1]), int(argv[2])
    _die_with_parent(parent_pid)
    threading.Thread(target=_watch_lifeline, args=(lifeline_fd,), daemon=True, name="lifeline").start()
    import uvicorn
    uvicorn.run("prefect.server.api.server:create_app", factory=True, fd=listen_fd, log_level="error",
                lifespan="on")


if __name__ == "__main__":
    main(sys.argv[1:])
