"""Long imports run in the background; their progress is kept in small files any server process can read.

A job is a thread in the process that received the upload; its state
(stage, rows done, result) is written atomically to `<data>/jobs/<id>.json`,
so the progress page works whichever server process or thread answers the poll.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Callable

from flask import Flask

from reqtrace.config import data_dir

KEEP_SECONDS = 24 * 3600


def jobs_dir(app: Flask) -> Path:
    folder = Path(app.config.get("JOBS_DIR") or data_dir() / "jobs")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def uploads_dir(app: Flask) -> Path:
    folder = Path(app.config.get("UPLOADS_DIR") or data_dir() / "uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_id() -> str:
    return secrets.token_urlsafe(12)


def write(app: Flask, job_id: str, state: dict[str, Any]) -> None:
    path = jobs_dir(app) / f"{job_id}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, default=str))
    os.replace(temporary, path)  # readers never see half a file


def read(app: Flask, job_id: str) -> dict[str, Any] | None:
    if not job_id.replace("-", "").replace("_", "").isalnum():
        return None
    try:
        return json.loads((jobs_dir(app) / f"{job_id}.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def start(app: Flask, *, owner: str, project: str, kind: str, describe: dict[str, Any],
          work: Callable[[Callable[[str, int, int], None]], dict[str, Any]]) -> str:
    """Run `work(progress)` in a thread; returns the job's id."""
    _forget_old(app)
    job_id = new_id()
    state = {"id": job_id, "owner": owner, "project": project, "kind": kind, "status": "running",
             "stage": "starting", "done": 0, "total": 0, "started": time.time(), **describe}
    write(app, job_id, state)

    def progress(stage: str, done: int, total: int) -> None:
        state.update(stage=stage, done=done, total=total)
        write(app, job_id, state)

    def run() -> None:
        try:
            with app.app_context():
                state["result"] = work(progress)
            state["status"] = "done"
        except Exception as error:  # the page must say what went wrong, not hang
            state["status"] = "failed"
            state["error"] = str(error) or error.__class__.__name__
        state["finished"] = time.time()
        write(app, job_id, state)

    threading.Thread(target=run, name=f"reqtrace-job-{job_id}", daemon=True).start()
    return job_id


def _forget_old(app: Flask) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for folder in (jobs_dir(app), uploads_dir(app)):
        for path in folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass
