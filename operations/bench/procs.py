"""Subprocesses of the benchmark: gunicorn, a Celery worker, helper scripts.

Each runs in its own process group on loopback addresses only, logs to a file in the run's
folder, and is killed with its whole group when the benchmark leaves its `with` block (also on
errors and Ctrl-C)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

from celery import current_app as app  # the project's app (reless_platform.celery)
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


def database_url() -> str:
    """The URL of the database this process uses (the test database under pytest)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return (f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/"
            f"{s['NAME']}")


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=database_url(), PYTHONUNBUFFERED="1",
               DJANGO_SETTINGS_MODULE="reless_platform.settings")
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A subprocess in its own session (process group), stopped with its children."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name, self.args, self.env = name, args, env
        self.log = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def __enter__(self) -> "Process":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "Process":
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=log,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, grace: float = 10) -> None:
        if self.popen is None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.popen.wait(wait)
                # The leader is gone; make sure no child of the group survives it.
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
            break

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def gunicorn(log_dir: Path, *, workers: int, extra_env: dict[str, str]) -> tuple[Process, str]:
    """The platform under gunicorn.conf.py on a free loopback port: (process, base URL)."""
    port = free_port()
    env = child_env(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers),
                    GUNICORN_THREADS="1", **extra_env)
    env.pop("GUNICORN_ACCESS_LOG", None)
    args = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
            "reless_platform.wsgi:application"]
    return Process("gunicorn", args, env, log_dir), f"http://127.0.0.1:{port}"


def wait_http(process: Process, url: str, timeout: float = 90) -> None:
    """Wait until `url` answers (any HTTP status), or fail with the server's last log lines."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{process.name} did not answer {url} within {timeout:.0f} s:\n"
                       f"{process.tail()}")


def celery_worker(log_dir: Path, *, concurrency: int) -> tuple[Process, str, str]:
    """A Celery worker on a queue of its own: (process, queue, node name)."""
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    node = f"{queue}@{socket.gethostname()}"
    env = child_env(CELERY_QUEUE=queue, REPORT_TASK_DELAY="0")
    args = [str(BIN / "celery"), "-A", "reless_platform", "worker", "-Q", queue, "-n", node,
            "-c", str(concurrency), "--without-gossip", "--without-mingle", "-l", "warning"]
    return Process("celery", args, env, log_dir), queue, node


def wait_worker(process: Process, node: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"the Celery worker exited:\n{process.tail()}")
        if app.control.ping(destination=[node], timeout=1.0):
            return
    raise RuntimeError(f"the Celery worker did not answer within {timeout:.0f} s:\n"
                       f"{process.tail()}")


def group_cpu_seconds(process: Process) -> float:
    """CPU time (user + system) of the process group so far, workers that exited included
    (their time is counted in the parent's children times once reaped)."""
    if process.popen is None:
        return 0.0
    pgid, ticks, total = process.popen.pid, os.sysconf("SC_CLK_TCK"), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def database_cpu_seconds() -> dict[int, float]:
    """CPU time so far of each PostgreSQL backend serving this database (other than ours),
    by pid: with the server's CPU, what one request costs the machine. Backends that end
    between two readings lose their share, so the figure is a lower bound."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        pids = [row[0] for row in cursor.fetchall()]
    ticks, seconds = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # not on this machine, or gone
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds
