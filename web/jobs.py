"""Long imports and exports run in the background; their progress is kept in small files any server process can read.

A job is a thread in the process that received the request; its state
(stage, rows done, result) is written atomically to `<data>/jobs/<id>.json`,
so the progress page works whichever server process or thread answers the poll.
An export job writes its workbook beside it, `<data>/jobs/<id>.xlsx`, which
appears only once complete; both are cleared after KEEP_SECONDS, as uploads are.

The state is what the job's page and its JSON twin show, so it never holds a
server path: a job is told which stored files it reads or writes and the names
their users know them by, and every message it keeps names those instead.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
import zipfile
from pathlib import Path
from typing import Any, Callable, Mapping

from flask import Flask

from reqtrace.config import data_dir
from reqtrace.formats import FormatError
from reqtrace.services.errors import ServiceError

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
    if not is_id(job_id):
        return None
    try:
        return json.loads((jobs_dir(app) / f"{job_id}.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def start(app: Flask, *, owner: str, project: str, kind: str, describe: dict[str, Any],
          work: Callable[[Callable[[str, int, int], None]], dict[str, Any]],
          files: Mapping[str, str] | None = None, job_id: str | None = None) -> str:
    """Run `work(progress)` in a thread; returns the job's id (`job_id` when given).

    `files` maps each stored upload the work reads (its server path) to the file name its user
    uploaded: the failure and the result's errors and warnings name that, never the server's file.
    """
    files = dict(files or {})
    _forget_old(app)
    job_id = job_id or new_id()
    state = {"id": job_id, "owner": owner, "project": project, "kind": kind, "status": "running",
             "stage": "starting", "done": 0, "total": 0, "started": time.time(), **describe}
    write(app, job_id, state)

    def progress(stage: str, done: int, total: int) -> None:
        state.update(stage=stage, done=done, total=total)
        write(app, job_id, state)

    def run() -> None:
        try:
            with app.app_context():
                state["result"] = _public_result(work(progress), files)
            state["status"] = "done"
        except Exception as error:  # the page must say what went wrong, not hang
            state["status"] = "failed"
            state["error"] = failure_message(error, files)
            if not (_is_input_problem(error) or _is_gone(error, files)):
                app.logger.exception("job %s (%s of %s) failed", job_id, kind, ", ".join(files.values()) or "-")
        state["finished"] = time.time()
        write(app, job_id, state)

    threading.Thread(target=run, name=f"reqtrace-job-{job_id}", daemon=True).start()
    return job_id


def start_export(app: Flask, *, owner: str, project: str, kind: str, describe: dict[str, Any],
                 write_workbook: Callable[[Path, Callable[[str, int, int], None]], dict[str, Any]]) -> str:
    """Run `write_workbook(target, progress)` in a thread: it writes a workbook at `target` and returns its summary.

    The workbook becomes `export_file(app, job_id)` only once it is complete, so a download never gets
    half a file; `describe["file"]` is the name its user downloads it as, and the only name any message
    of the job gives it.
    """
    job_id = new_id()
    final = export_file(app, job_id)
    partial = final.with_name(f"{job_id}.part")

    def work(progress: Callable[[str, int, int], None]) -> dict[str, Any]:
        try:
            summary = write_workbook(partial, progress)
            os.replace(partial, final)
        except FileNotFoundError as error:  # the server's folder went away: the administrator's problem,
            raise RuntimeError(f"cannot write {error.filename}") from error  # not the user's "upload it again"
        finally:
            partial.unlink(missing_ok=True)
        return summary

    return start(app, owner=owner, project=project, kind=kind, describe=describe, work=work,
                 files={str(partial): describe["file"]}, job_id=job_id)


def export_file(app: Flask, job_id: str) -> Path:
    """Where an export job keeps the workbook it wrote: beside its state, cleared with it."""
    if not is_id(job_id):
        raise ValueError(f"not a job id: {job_id!r}")
    return jobs_dir(app) / f"{job_id}.xlsx"


def public_text(text: str, files: Mapping[str, str]) -> str:
    """`text` naming each stored upload by its user's file name, and no upload folder at all."""
    folders: set[str] = set()
    for stored, name in files.items():
        path = Path(stored)
        for form in sorted({str(path), path.as_posix(), str(path.resolve())}, key=len, reverse=True):
            text = text.replace(form, name)
        text = text.replace(path.name, name)
        folders |= {str(path.parent), path.parent.as_posix(), str(path.parent.resolve())}
    for folder in sorted(folders, key=len, reverse=True):
        # Anything else under an upload folder (another upload, its metadata) is nobody's business.
        text = re.sub(re.escape(folder) + r"(?:[\\/][^\s'\"]*)?", "(a file on the server)", text)
    return text


def failure_message(error: Exception, files: Mapping[str, str]) -> str:
    """What the job's page says about an exception: the user's file, what is wrong, never a server path."""
    names = ", ".join(files.values()) or "the workbook"
    if _is_gone(error, files):
        return f"{names} is no longer on the server (an upload is kept for a day); upload it again"
    if isinstance(error, zipfile.BadZipFile):
        return public_text(f"{names} is a damaged zip file: {error}", files)
    if _is_input_problem(error):
        return public_text(str(error) or error.__class__.__name__, files)
    return f"an unexpected error ({error.__class__.__name__}) stopped the work on {names}; it was logged for " \
           "the administrator"


_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what new_id makes (16 characters), with room to spare


def is_id(job_id: str) -> bool:
    """A job's or an upload's id as this module makes them: never a path, never too long for a file name."""
    return _ID.fullmatch(job_id or "") is not None


def _is_input_problem(error: Exception) -> bool:
    """A refusal whose message is written for the user (the file or the request is wrong), not a bug."""
    return isinstance(error, (FormatError, ServiceError, zipfile.BadZipFile))


def _is_gone(error: Exception, files: Mapping[str, str]) -> bool:
    """The stored upload itself is missing (cleared after a day), not some other file."""
    return isinstance(error, FileNotFoundError) and error.filename is not None and \
        Path(str(error.filename)).name in {Path(stored).name for stored in files}


def _public_result(result: Any, files: Mapping[str, str]) -> Any:
    if not files or not isinstance(result, dict):
        return result
    for key in ("errors", "warnings"):
        for entry in result.get(key) or ():
            if isinstance(entry, dict) and isinstance(entry.get("message"), str):
                entry["message"] = public_text(entry["message"], files)
    return result


def _forget_old(app: Flask) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for folder in (jobs_dir(app), uploads_dir(app)):
        for path in folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass
