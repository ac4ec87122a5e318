"""Dump and restore the PostgreSQL database with pg_dump / pg_restore (custom format)."""

import os
import subprocess
from pathlib import Path

from django.db import DatabaseError, connections

from cooperatives import freshness, summaries
from privacy.services import erasures_as_entries, replay


class BackupError(RuntimeError):
    pass


def _libpq_env(alias: str = "default") -> tuple[dict[str, str], str]:
    settings_dict = connections[alias].settings_dict
    if settings_dict["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError("Backups need PostgreSQL (set DATABASE_URL); SQLite: copy the file.")
    env = {**os.environ, "PGHOST": settings_dict.get("HOST") or "",
           "PGPORT": str(settings_dict.get("PORT") or ""), "PGUSER": settings_dict["USER"] or "",
           "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
    return {k: v for k, v in env.items() if v}, settings_dict["NAME"]


def dump(path: str | Path, *, alias: str = "default") -> Path:
    """Write a compressed, consistent snapshot of the whole database to `path`."""
    env, name = _libpq_env(alias)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
          f"--file={path}", name], env)
    return path


def restore(path: str | Path, *, alias: str = "default") -> int:
    """Replace the database's tables with the dump's (drops what exists first), then carry
    out again every erasure of personal data done since the dump was taken: those the
    database recorded before the restore and those of the erasure log kept outside it
    (privacy.services.replay). Returns the number of erasures replayed."""
    env, name = _libpq_env(alias)
    try:
        erased = erasures_as_entries()
    except DatabaseError:  # a broken database is what restores are for
        erased = []
    connections[alias].close()
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", f"--dbname={name}", str(path)], env)
    replayed = replay(erased)
    freshness.renew_all()  # the figures cached before the restore are not the restored ones
    summaries.mark_all()  # the restored summaries are the dump's; recounted on the next read
    return replayed


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")
