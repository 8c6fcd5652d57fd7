"""Live checklists: evaluators' ticks, applied once each; sealed until submitted; the lead's consensus.

Every tick carries an id the client chose, so a retry after a dropped
connection is stored once. Before an evaluator submits the session, a new
tick on a step replaces their earlier one (the latest counts); after they
submit, their scores are locked and only a correction — a new entry naming
the one it corrects, with its reason — can change them. A step they never
scored may still get a late score after submitting, with its reason in the
note: like a correction, it is kept in the audit trail. Only a tick recorded
after they submitted is a late score: one queued before (another device or
tab, offline) is refused, so what they submitted stands. A tick made on a
page that already showed them as submitted says so (`after_submit`), and is
taken as late whatever its device's clock says. Nobody, the CRM lead
included, sees anyone's scores until every attendee has submitted.

Ticks are an evaluator's own: a device may hold ticks queued for one
evaluator while another is logged in (a shared tablet, a login that ended and
a colleague's that began). A batch names the evaluator it was queued for, and
one that is not the logged-in user's is refused whole (`NotYours`) before
anything is read or written, so it can be sent again once they log in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from reqtrace import audit
from reqtrace.model import (
    ChecklistResult,
    ConsensusScore,
    DemoSession,
    Project,
    Scenario,
    SessionAttendee,
    Step,
    Vendor,
    as_utc,
    utcnow,
)
from reqtrace.schemas import MAX_ID, Problem, clean_text
from reqtrace.services.errors import Invalid, PermissionDenied
from reqtrace.vocab import VERDICT, UnknownValue

MAX_SCORE = 5
MAX_NOTE = 4000
DISAGREEMENT = 2  # a spread of this much or more is flagged for discussion
MAX_BATCH = 500
LATE = "score late"  # the audit action of a late score: a step left unscored, scored after submitting


class NotYours(PermissionDenied):
    """Ticks (or a submission, or a photo) queued for one evaluator, sent while another user is logged in."""

    def __init__(self, evaluator: str, user: str):
        self.evaluator, self.user = evaluator, user
        super().__init__(f"these changes are {evaluator}'s, but you are logged in as {user}: log in as "
                         f"{evaluator} to send them (nothing was saved)")


def check_sender(named: str | None, user: str) -> None:
    """Refuse (NotYours) what names an evaluator other than `user`, the logged-in user.

    An unnamed request (None) is the user's own, as before evaluators were named: a checklist page served
    before pages named them does not send the name, and the API's scripted callers need not. Every page
    served now names its evaluator, so what it queued is only ever stored as theirs.
    """
    if named is not None and named != user:
        raise NotYours(named, user)


@dataclass
class Tick:
    client_id: str
    step: str
    verdict: str
    score: float | None
    note: str
    recorded_at: datetime
    corrects: int | None = None
    # Made on a page that knew the evaluator had submitted: a late score whatever the device's clock says.
    after_submit: bool = False


def attendee(session: Session, demo: DemoSession, username: str) -> SessionAttendee | None:
    return session.exec(select(SessionAttendee).where(SessionAttendee.session_id == demo.id,
                                                      SessionAttendee.username == username)).scalars().first()


def attendees(session: Session, demo: DemoSession) -> list[SessionAttendee]:
    return list(session.exec(select(SessionAttendee).where(SessionAttendee.session_id == demo.id)
                             .order_by(SessionAttendee.username)).scalars())


def attendees_of(session: Session, demos: list[DemoSession]) -> dict[int, list[SessionAttendee]]:
    """`attendees` of many sessions in one query (a list page shows them all)."""
    found: dict[int, list[SessionAttendee]] = {demo.id: [] for demo in demos}
    if found:
        for person in session.exec(select(SessionAttendee).where(SessionAttendee.session_id.in_(list(found)))
                                   .order_by(SessionAttendee.username)).scalars():
            found[person.session_id].append(person)
    return found


def all_submitted(session: Session, demo: DemoSession) -> bool:
    people = attendees(session, demo)
    return bool(people) and all(person.submitted_at is not None for person in people)


def step_ids(session: Session, demo: DemoSession) -> dict[str, list[str]]:
    """The session's script steps: step ID -> the requirements it proves."""
    return {hid: list(requirements) for hid, requirements in session.exec(
        select(Step.hid, Step.requirements).where(Step.script_id == demo.script_id)).all()}


def parse_tick(raw: dict[str, Any], steps: dict[str, list[str]]) -> Tick:
    """Check one tick as the client sent it; Invalid names the field at fault."""
    problems: list[Problem] = []
    client_id = str(raw.get("client_id") or "").strip()
    if not 8 <= len(client_id) <= 64 or not all(c.isalnum() or c in "-_" for c in client_id):
        problems.append(Problem("client_id", "every tick needs an id of 8 to 64 letters, digits, '-' or '_'"))
    step = str(raw.get("step") or "")
    if step not in steps:
        problems.append(Problem("step", f"{step or 'an empty step'} is not a step of this session's script"))
    verdict = ""
    if raw.get("verdict"):
        try:
            verdict = VERDICT.parse(str(raw["verdict"]))
        except UnknownValue as error:
            problems.append(Problem("verdict", str(error)))
    score = raw.get("score")
    if score in ("", None):
        score = None
    else:
        try:
            score = float(score)
        except (TypeError, ValueError):
            score = math.nan
        if not (0 <= score <= MAX_SCORE):
            problems.append(Problem("score", f"a score is a number from 0 to {MAX_SCORE}, not {raw.get('score')!r}"))
    note = str(raw.get("note") or "")
    if len(note) > MAX_NOTE:
        problems.append(Problem("note", f"a note has at most {MAX_NOTE} characters"))
    recorded_at = _when(raw.get("recorded_at"), problems)
    corrects = raw.get("corrects")
    if corrects not in (None, ""):
        try:
            corrects = int(corrects)
        except (TypeError, ValueError, OverflowError):
            problems.append(Problem("corrects", "names the id of the entry it corrects"))
        else:
            if not 0 < corrects <= MAX_ID:  # no database holds such an id (and looking it up would overflow)
                problems.append(Problem("corrects", f"there is no entry {corrects}: a correction names the id of "
                                                    "the entry it corrects"))
    else:
        corrects = None
    if not problems and not verdict and score is None and not note.strip():
        # An empty tick (the plain form's Save with nothing chosen) would count the step as scored.
        problems.append(Problem("verdict", "choose a verdict or a score, or write a note, before saving"))
    if problems:
        raise Invalid(problems)
    return Tick(client_id, step, verdict, score, note.strip(), recorded_at, corrects,
                after_submit=raw.get("after_submit") is True)


def record_ticks(session: Session, project: Project, demo: DemoSession, evaluator: str, raw_ticks: list[Any], *,
                 source: str = "web", named: str | None = None) -> list[dict[str, Any]]:
    """Store each tick once as `evaluator`'s; returns per tick {"client_id", "status": stored|duplicate|refused}.

    `named`, when given, is the evaluator the ticks were queued for: if it is not `evaluator` the whole
    batch is refused (NotYours) before anything is stored, and the sender keeps it to send again.

    Which refusals are final (the sender may drop the tick): a per-tick "refused" is either about the tick
    itself (its id, step, verdict, score, note, time) or about `evaluator`'s own state (they submitted and
    scored the step, a correction names the wrong entry, a correction or a late score has no reason).
    Sending it again as the same evaluator changes neither, so it is final — but only because the tick is
    judged as its own evaluator's, which a named batch guarantees. Raised errors (NotYours, PermissionDenied,
    Invalid) refuse the whole batch and are never final.
    """
    if not isinstance(raw_ticks, list) or len(raw_ticks) > MAX_BATCH:
        raise Invalid([Problem("results", f"send a list of at most {MAX_BATCH} ticks")])
    check_sender(named, evaluator)
    person = attendee(session, demo, evaluator)
    if person is None:
        raise PermissionDenied(f"{evaluator} does not attend this session, so cannot score it")
    steps = step_ids(session, demo)
    outcomes: list[dict[str, Any]] = []
    parsed: list[Tick] = []
    for raw in raw_ticks:
        client_id = str(raw.get("client_id") or "") if isinstance(raw, dict) else ""
        try:
            parsed.append(parse_tick(raw if isinstance(raw, dict) else {}, steps))
        except Invalid as error:
            outcomes.append({"client_id": client_id, "status": "refused", "error": str(error)})
    # client id -> the entry stored under it, when it is this evaluator's in this session (a retry whose answer
    # was lost): its id goes back with "duplicate", so the page knows what a further change corrects.
    known = {client_id: entry_id if (session_id, owner) == (demo.id, evaluator) else None
             for client_id, entry_id, session_id, owner in session.exec(
                 select(ChecklistResult.client_id, ChecklistResult.id, ChecklistResult.session_id,
                        ChecklistResult.evaluator)
                 .where(ChecklistResult.client_id.in_([tick.client_id for tick in parsed])))} if parsed else {}
    # After submitting, each tick is judged against the evaluator's scores: read once, kept current below.
    mine = latest_entries(session, demo, evaluator) if person.submitted_at is not None and parsed else {}
    for tick in parsed:
        if tick.client_id in known:
            outcomes.append(_duplicate(tick.client_id, known[tick.client_id]))
            continue
        refusal = _refusal(session, demo, person, evaluator, tick, mine)
        if refusal:
            outcomes.append({"client_id": tick.client_id, "status": "refused", "error": refusal,
                             **_counting_now(mine, evaluator, tick)})
            continue
        entry = ChecklistResult(session_id=demo.id, step=tick.step, evaluator=evaluator, verdict=tick.verdict,
                                score=tick.score, note=tick.note, recorded_at=tick.recorded_at, received_at=utcnow(),
                                client_id=tick.client_id, corrects=tick.corrects, source=source)
        try:
            with session.begin_nested():  # a concurrent retry of the same id loses the race cleanly
                session.add(entry)
                session.flush()
        except IntegrityError:  # stored meanwhile by a concurrent retry: that entry is the one
            stored = session.exec(select(ChecklistResult.id, ChecklistResult.session_id, ChecklistResult.evaluator)
                                  .where(ChecklistResult.client_id == tick.client_id)).first()
            mine_now = stored is not None and (stored.session_id, stored.evaluator) == (demo.id, evaluator)
            outcomes.append(_duplicate(tick.client_id, stored.id if mine_now else None))
            continue
        known[tick.client_id] = entry.id
        if person.submitted_at is not None:  # a correction, or a late score of a step left unscored
            mine[(evaluator, tick.step)] = entry  # either is now the step's latest entry
            audit.record(session, actor=evaluator, project_id=project.id, entity_type="checklist",
                         entity_id=str(demo.id), action="correct" if tick.corrects is not None else LATE,
                         before={"entry": tick.corrects}, after={"entry": entry.id, "step": tick.step,
                                                                 "score": tick.score, "verdict": tick.verdict,
                                                                 "reason": tick.note})
        outcomes.append({"client_id": tick.client_id, "status": "stored", "id": entry.id})
    return outcomes


def _counting_now(mine: dict[tuple[str, str], Any], evaluator: str, tick: Tick) -> dict[str, Any]:
    """For a change refused because another one came first (a tab or device that had not seen it): the entry
    that counts now, so the page can offer to correct that one instead ({"current": ...}), else nothing."""
    current = mine.get((evaluator, tick.step))
    if current is None or tick.corrects == current.id:
        return {}
    return {"current": {"id": current.id, "score": current.score, "verdict": current.verdict}}


def _duplicate(client_id: str, entry_id: int | None) -> dict[str, Any]:
    """A tick stored before (a retry): its entry's id when it is the sender's own, for the page to build on."""
    return {"client_id": client_id, "status": "duplicate", **({"id": entry_id} if entry_id is not None else {})}


def _refusal(session: Session, demo: DemoSession, person: SessionAttendee, evaluator: str, tick: Tick,
             mine: dict[tuple[str, str], Any]) -> str | None:
    """Why `evaluator` may not store `tick` (None: they may); `mine` is their latest entries, once submitted."""
    if person.submitted_at is None:
        if tick.corrects is not None:
            return "before you submit, simply score the step again: corrections are for submitted scores"
        return None
    current = mine.get((evaluator, tick.step))
    if tick.corrects is None:
        if current is not None:
            return "you submitted this session: your scores are locked; record a correction with its reason"
        if not tick.after_submit and as_utc(tick.recorded_at) <= as_utc(person.submitted_at):
            # Queued before submitting (another tab or device, offline): what was submitted stands. A tick made
            # on a page served after submitting says so, since its device's clock may run behind the server's.
            return (f"you submitted this session: your scores are locked, and this tick was recorded before you "
                    f"submitted; {tick.step}, which you left unscored, may still be scored late, with the reason "
                    f"in the note")
        if not tick.note:
            return (f"you submitted this session: {tick.step}, which you left unscored, may still be scored "
                    f"late, with the reason in the note")
        return None  # a late score of a step left unscored, with its reason
    if current is not None and current.id == tick.corrects:
        corrected = current  # the usual case: it corrects the score that counts now
    else:
        corrected = session.get(ChecklistResult, tick.corrects)
    if corrected is None or corrected.session_id != demo.id or corrected.evaluator != evaluator \
            or corrected.step != tick.step:
        return "a correction must name one of your own entries on the same step"
    if current is None or current.id != corrected.id:
        return (f"entry {corrected.id} is no longer your score on {tick.step} (entry "
                f"{current.id if current else '?'} is): a correction names the score that counts now")
    if not tick.note:
        return "a correction needs its reason in the note"
    return None


def submit(session: Session, project: Project, demo: DemoSession, evaluator: str, *,
           named: str | None = None) -> SessionAttendee:
    """Lock `evaluator`'s scores; `named` is the evaluator whose checklist asked (see `check_sender`)."""
    check_sender(named, evaluator)
    person = attendee(session, demo, evaluator)
    if person is None:
        raise PermissionDenied(f"{evaluator} does not attend this session")
    if person.submitted_at is None:
        person.submitted_at = utcnow()
        session.add(person)
        session.flush()
        audit.record(session, actor=evaluator, project_id=project.id, entity_type="session", entity_id=str(demo.id),
                     action="submit", after={"evaluator": evaluator})
    return person


def unscored_steps(session: Session, demo: DemoSession, evaluator: str) -> tuple[int, int]:
    """(the steps of the session's script, how many of them `evaluator` has not scored): what submitting leaves.

    A step is scored when its latest entry counts (`counts`): one with only a verdict other than "not shown",
    or only a note, is "not assessed", so still has no score."""
    steps = set(step_ids(session, demo))
    scored = {step for (_, step), entry in latest_entries(session, demo, evaluator).items() if counts(entry)}
    return len(steps), len(steps - scored)


def counts(entry) -> bool:
    """Whether an entry counts in the scoring: it has a score, or its verdict is "not shown" (which counts 0)."""
    return _value(entry) is not None


def corrected_ids(entries) -> set[int]:
    """Ids of entries a later correction replaces: whatever the clocks say, a correction wins."""
    return {entry.corrects for entry in entries if entry.corrects is not None}


def latest_entries(session: Session, demo: DemoSession, evaluator: str | None = None, *,
                   step: str | None = None) -> dict[tuple[str, str], Any]:
    """(evaluator, step) -> their latest entry in this session (of one evaluator, one step, if given).

    A correction names an entry on its own step, so the entries of one step settle that step alone.
    """
    statement = select(ChecklistResult).where(ChecklistResult.session_id == demo.id)
    if evaluator is not None:
        statement = statement.where(ChecklistResult.evaluator == evaluator)
    if step is not None:
        statement = statement.where(ChecklistResult.step == step)
    latest: dict[tuple[str, str], Any] = {}
    entries = session.exec(statement.order_by(ChecklistResult.recorded_at, ChecklistResult.id)).scalars().all()
    replaced = corrected_ids(entries)
    for entry in entries:
        if entry.id not in replaced:
            latest[(entry.evaluator, entry.step)] = entry
    return latest


def consensus_view(session: Session, project: Project, demo: DemoSession) -> dict[str, Any]:
    """Per step and requirement, every evaluator's score and the spread; refused while sealed."""
    present = attendees(session, demo)
    waiting = [person.username for person in present if person.submitted_at is None]
    if not present or waiting:  # as all_submitted, from the one read
        raise PermissionDenied(f"the scores stay sealed until every attendee has submitted; still to submit: "
                               f"{', '.join(waiting)} (take someone who will never submit off the session, "
                               f"with the reason)")
    people = [person.username for person in present]
    latest = latest_entries(session, demo)
    order = {key: index for index, key in enumerate(session.exec(
        select(Scenario.key).where(Scenario.script_id == demo.script_id).order_by(Scenario.seq)).scalars())}
    steps = sorted(session.exec(select(Step).where(Step.script_id == demo.script_id)).scalars(),
                   key=lambda step: (order.get(step.scenario_key, len(order)), step.seq))  # script order
    vendor = session.get(Vendor, demo.vendor_id)
    agreed = {(row.requirement): row for row in session.exec(
        select(ConsensusScore).where(ConsensusScore.vendor_id == demo.vendor_id)
        .order_by(ConsensusScore.recorded_at, ConsensusScore.id)).scalars()}
    rows = []
    for step in steps:
        scores = {name: _value(latest.get((name, step.hid))) for name in people}
        counted = [value for value in scores.values() if value is not None]
        spread = max(counted) - min(counted) if len(counted) > 1 else 0.0
        rows.append({"step": step.hid, "requirements": list(step.requirements), "scores": scores,
                     "notes": {name: latest[(name, step.hid)].note for name in people
                               if (name, step.hid) in latest and latest[(name, step.hid)].note},
                     "spread": spread, "disagree": spread >= DISAGREEMENT,
                     "consensus": {hid: {"score": agreed[hid].score, "reason": agreed[hid].reason,
                                         "by": agreed[hid].recorded_by} for hid in step.requirements if hid in agreed}})
    return {"vendor": vendor.slug, "evaluators": people, "rows": rows,
            "disagreements": sum(1 for row in rows if row["disagree"])}


def record_consensus(session: Session, project: Project, demo: DemoSession, *, requirement: str, step: str,
                     score: Any, reason: str, actor: str) -> ConsensusScore:
    if not all_submitted(session, demo):
        raise PermissionDenied("a consensus is recorded once every attendee has submitted")
    steps = step_ids(session, demo)
    problems = []
    if step not in steps or requirement not in steps.get(step, []):
        problems.append(Problem("requirement", f"{requirement} is not proved by step {step} of this session"))
    try:
        value = float(score)
    except (TypeError, ValueError):
        value = math.nan
    if not 0 <= value <= MAX_SCORE:
        problems.append(Problem("score", f"a consensus score is a number from 0 to {MAX_SCORE}"))
    try:
        cleaned = clean_text(reason or "")  # stored as exported: "\n" line breaks, legal characters, one cell
    except ValueError as error:
        problems.append(Problem("reason", str(error)))
    else:
        if not cleaned:
            problems.append(Problem("reason", "say why the evaluators agreed on this score"))
    if problems:
        raise Invalid(problems)
    row = ConsensusScore(project_id=project.id, vendor_id=demo.vendor_id, session_id=demo.id,
                         requirement=requirement, step=step, score=value, reason=cleaned, recorded_by=actor,
                         recorded_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="consensus", entity_id=requirement,
                 action="record", after={"vendor": session.get(Vendor, demo.vendor_id).slug, "step": step,
                                         "score": value, "reason": row.reason})
    return row


def _value(entry) -> float | None:
    if entry is None:
        return None
    if entry.score is not None:
        return float(entry.score)
    return 0.0 if entry.verdict == "not shown" else None


def _when(value: Any, problems: list[Problem]) -> datetime:
    if value in (None, ""):
        return utcnow()
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        problems.append(Problem("recorded_at", f"{value!r} is not a time (ISO 8601)"))
        return utcnow()
    return as_utc(moment)

