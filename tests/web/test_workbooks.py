"""Workbooks in the web app: exports and uploads that run as jobs; uploads preview before they apply.

Procurement uploads a workbook, is taken to the job's page (/p/crm/jobs/<id>,
JSON twin .json) which shows the progress and then the preview; nothing is
saved until it applies the preview, which runs as a second job. An export
button starts a job the same way; its page ends with a summary and the file
(/p/crm/jobs/<id>.xlsx); the direct download URLs stay for scripts.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import openpyxl
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from reqtrace.model import QuestionnaireIssue, Requirement, VendorResponse
from reqtrace.services.users import add_user
from tests.conftest import DEMO_PASSWORD
from tests.questionnaire.fixtures import (bare_sample_postgres_template, bare_sample_sqlite_file,  # noqa: F401
                                          bare_sample_url)
from tests.questionnaire.support import SHEET, answer, metadata, row_numbers
from tests.web.support import Visitor, form_values, parse_html
from web import create_app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLES = ("lead", "owner", "procurement", "evaluator")


@pytest.fixture
def app(bare_sample_url, tmp_path):
    """The app on this test's copy of the sample project (no questionnaire issued or answered yet),
    its uploads and jobs kept in the test's folder."""
    return create_app({"DATABASE_URL": bare_sample_url, "SECRET_KEY": "test", "JOBS_DIR": str(tmp_path / "jobs"),
                       "UPLOADS_DIR": str(tmp_path / "uploads")})


# --- helpers -----------------------------------------------------------------------------------

def upload(visitor: Visitor, url: str, content: bytes, filename: str, **fields: str):
    """POST a file the way the workbooks page's forms do (multipart, with the CSRF token)."""
    data = {"csrf_token": visitor.token(), **fields, "file": (io.BytesIO(content), filename)}
    return visitor.client.post(url, data=data, content_type="multipart/form-data", base_url=visitor.base_url,
                               headers={"Referer": visitor.base_url + "/p/crm/workbooks"})


def job_path(response) -> str:
    assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[:500])
    path = urlparse(response.headers["Location"]).path
    assert path.startswith("/p/crm/jobs/"), path
    return path


def finished(visitor: Visitor, path: str, timeout: float = 10.0) -> dict:
    """Poll the job's JSON twin until it is no longer running (at most `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        state = visitor.json(path + ".json")["job"]
        if state["status"] != "running":
            return state
        assert time.monotonic() < deadline, f"the job is still running after {timeout} s: {state}"
        time.sleep(0.05)


def submit(visitor: Visitor, page_path: str, action_part: str, **changes: str):
    """Submit the form on `page_path` whose action contains `action_part`, as a browser would."""
    page = visitor.page(page_path)
    forms = [form for form in page.find_all("form") if action_part in form.attrs.get("action", "")]
    assert len(forms) == 1, f"expected one form posting to …{action_part} on {page_path}, found {len(forms)}"
    pairs = [(name, value) for name, value in form_values(forms[0]) if name not in changes] + list(changes.items())
    return visitor.post(forms[0].attrs["action"], pairs)


def title_of(db, hid: str) -> str | None:
    session = db()
    return session.exec(select(Requirement.title).where(Requirement.hid == hid)).scalars().first()


def requirement_of(db, hid: str) -> Requirement | None:
    return db().exec(select(Requirement).where(Requirement.hid == hid)).scalars().first()


def answers_of(db, vendor: str) -> dict[str, str]:
    from reqtrace.model import Vendor

    rows = db().exec(select(Requirement.hid, VendorResponse.answer)
                     .join(Requirement, Requirement.id == VendorResponse.requirement_id)
                     .join(Vendor, Vendor.id == VendorResponse.vendor_id).where(Vendor.slug == vendor)).all()
    return dict(rows)


def foreign_workbook() -> bytes:
    """Another tool's requirement list: a title row, then the header on row 2."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Supplier list"
    sheet.append(["Requirements from the finance department — draft 3"])
    sheet.append(["Req ID", "Requirement", "Criticality", "Notes"])
    sheet.append(["REQ-900", "The system exports every report to PDF with the company letterhead.", "High",
                  "Asked by the CFO"])
    sheet.append(["REQ-901", "Invoices can be resent to the customer from the account view.", "Low",
                  "Nice to have"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def edited_requirements(visitor: Visitor, hid: str, title: str) -> bytes:
    """Download the requirements workbook and change one requirement's title, as procurement would in Excel."""
    response = visitor.get("/p/crm/export/requirements.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook["Requirements"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == hid)
    sheet.cell(row, headers["Title"]).value = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def issue_questionnaire(visitor: Visitor, vendor: str, folder: Path) -> Path:
    response = visitor.post(f"/p/crm/vendors/{vendor}/questionnaire")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX
    path = folder / f"{vendor}-issued.xlsx"
    path.write_bytes(response.data)
    return path


def answered_questionnaire(visitor: Visitor, vendor: str, folder: Path) -> tuple[Path, dict[str, str]]:
    """Issue `vendor`'s questionnaire and answer its first three rows; returns the file and the answers."""
    path = issue_questionnaire(visitor, vendor, folder)
    ids = list(row_numbers(openpyxl.load_workbook(path)[SHEET]))[:3]
    answers = {ids[0]: "Fully supported", ids[1]: "Customization", ids[2]: "3rd party"}
    return answer(path, answers, target=folder / f"{vendor}-answered.xlsx"), {
        ids[0]: "fully supported", ids[1]: "customisation", ids[2]: "third party"}


# --- the page and the downloads ----------------------------------------------------------------

def test_the_workbooks_page_and_its_json_twin(auth):
    lead = auth("lead")
    page = lead.page("/p/crm/workbooks")
    exports = {form.attrs["action"]: form.find("button").text for form in page.find_all("form", method="post")
               if "/export/" in form.attrs["action"]}
    assert exports == {"/p/crm/export/requirements": "Export the requirements workbook",
                       "/p/crm/export/scores": "Export the scoring record",
                       **{f"/p/crm/export/questionnaire/{slug}": "Issue questionnaire"
                          for slug in ("atlas", "keystone", "nimbus")}}
    data = lead.json("/p/crm/workbooks.json")
    assert data["project"]["key"] == "crm"
    assert [vendor["slug"] for vendor in data["vendors"]] == ["atlas", "keystone", "nimbus"]
    assert all(vendor["answers"] == 0 and vendor["issued_at"] is None for vendor in data["vendors"])
    assert data["may_import"] is True and data["may_questionnaire"] is True

    owner = auth("owner").json("/p/crm/workbooks.json")
    assert owner["may_import"] is False and owner["may_questionnaire"] is False
    assert auth("owner").page("/p/crm/workbooks").find("input", type="file") is None


@pytest.mark.parametrize("role", ROLES)
def test_every_role_downloads_the_requirements_and_lead_and_procurement_the_scoring_record(auth, role):
    visitor = auth(role)
    downloads = [("/p/crm/export/requirements.xlsx", "Requirements")]
    if role in ("lead", "procurement"):
        downloads.append(("/p/crm/export/scores.xlsx", "Summary"))
    else:  # the record shows every vendor's scores: evaluators and owners do not see it
        assert visitor.get("/p/crm/export/scores.xlsx").status_code == 403
        assert visitor.page("/p/crm/workbooks").find("form", action="/p/crm/export/scores") is None
    for path, sheet in downloads:
        response = visitor.get(path)
        assert response.status_code == 200, (role, path, response.status_code)
        assert response.mimetype == XLSX
        assert "attachment" in response.headers["Content-Disposition"]
        assert sheet in openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames


@pytest.mark.parametrize("role, allowed", [("lead", True), ("procurement", True), ("owner", False),
                                           ("evaluator", False)])
def test_issuing_a_questionnaire_is_for_the_lead_and_procurement(auth, db, role, allowed, tmp_path):
    visitor = auth(role)
    response = visitor.post("/p/crm/vendors/atlas/questionnaire")
    issues = db().exec(select(func.count()).select_from(QuestionnaireIssue)).scalar_one()
    if allowed:
        assert response.status_code == 200 and response.mimetype == XLSX
        path = tmp_path / "q.xlsx"
        path.write_bytes(response.data)
        assert metadata(path)["vendor"] == "atlas" and metadata(path)["project"] == "crm"
        assert issues == 1
        atlas = next(v for v in visitor.json("/p/crm/workbooks.json")["vendors"] if v["slug"] == "atlas")
        assert atlas["issued_at"] is not None
    else:
        assert response.status_code == 403
        assert issues == 0


# --- requirements uploads ----------------------------------------------------------------------

def test_a_requirements_upload_previews_then_applies(auth, db):
    procurement = auth("procurement")
    before = title_of(db, "REQ-5")
    content = edited_requirements(procurement, "REQ-5", "Quotes approved on a phone, offline too")

    job = job_path(upload(procurement, "/p/crm/import/requirements", content, "crm-requirements.xlsx"))
    state = finished(procurement, job)

    assert state["status"] == "done", state
    preview = state["result"]
    assert preview["applied"] is False and preview["errors"] == []
    assert (preview["added"], preview["changed"], preview["removed"]) == (0, 1, 0)
    assert [item["id"] for item in preview["items"] if item["action"] == "change"] == ["REQ-5"]
    assert title_of(db, "REQ-5") == before  # nothing saved yet
    page = procurement.page(job)
    assert "Nothing is saved yet" in page.text

    applied = finished(procurement, job_path(submit(procurement, job, "/apply")))

    assert applied["status"] == "done", applied
    assert applied["result"]["applied"] is True and applied["result"]["changed"] == 1
    assert title_of(db, "REQ-5") == "Quotes approved on a phone, offline too"


def workbook_with(visitor: Visitor, change) -> bytes:
    """The requirements workbook as downloaded, with `change(sheet, headers, row_of)` applied."""
    workbook = openpyxl.load_workbook(io.BytesIO(visitor.get("/p/crm/export/requirements.xlsx").data))
    sheet = workbook["Requirements"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    row_of = lambda hid: next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == hid)  # noqa: E731
    change(sheet, headers, row_of)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("what, change, says", [
    ("a status", lambda sheet, h, row: setattr(sheet.cell(row("REQ-5"), h["Status"]), "value", "retired"),
     "only the CRM lead changes an item's status"),
    ("an owner", lambda sheet, h, row: setattr(sheet.cell(row("REQ-5"), h["Owner"]), "value", "procurement"),
     "only the CRM lead assigns owners"),
    ("a retirement", lambda sheet, h, row: sheet.delete_rows(row("REQ-6")), "only the CRM lead retires items"),
    ("an approved newcomer", lambda sheet, h, row: sheet.append(
        {h["Title"]: "Smuggled in as approved", h["Status"]: "approved", h["Priority"]: "must"}),
     "only the CRM lead approves"),
])
def test_procurement_may_not_approve_retire_or_assign_through_a_workbook(auth, db, what, change, says, tmp_path):
    """The import applies the importing role's rules: procurement edits no item in a form, so it proposes."""
    procurement = auth("procurement")
    before = requirement_of(db, "REQ-5").model_dump(), requirement_of(db, "REQ-6").status
    content = workbook_with(procurement, change)
    state = finished(procurement, job_path(upload(procurement, "/p/crm/import/requirements", content, "crm.xlsx")))
    messages = [error["message"] for error in state["result"]["errors"]]
    assert any(says in message for message in messages), (what, messages)
    assert all(error.get("sheet") == "Requirements" for error in state["result"]["errors"]), state["result"]["errors"]
    # applying anyway (the page offers no button; a hand-made request) is refused before any job starts
    jobs_before = set((tmp_path / "jobs").iterdir())
    response = procurement.post(f"/p/crm/import/requirements/{state['upload']}/apply", {"preview": state["id"]})
    assert response.status_code == 400
    text = parse_html(response.get_data(as_text=True)).text
    assert "The preview of crm.xlsx found" in text and "so there is nothing to apply" in text, text
    assert "Nothing was imported" in text
    assert set((tmp_path / "jobs").iterdir()) == jobs_before  # no apply job: nothing can be written later
    assert (requirement_of(db, "REQ-5").model_dump(), requirement_of(db, "REQ-6").status) == before


def test_an_approved_requirement_procurement_changes_goes_back_to_draft_and_the_leads_stays_approved(auth, db):
    assert requirement_of(db, "REQ-5").status == "approved" and requirement_of(db, "REQ-7").status == "approved"
    procurement, lead = auth("procurement"), auth("lead")
    retitle = lambda hid, title: lambda sheet, h, row: setattr(sheet.cell(row(hid), h["Title"]), "value", title)  # noqa
    job = job_path(upload(procurement, "/p/crm/import/requirements",
                          workbook_with(procurement, retitle("REQ-5", "Quotes on a phone, offline too")), "p.xlsx"))
    preview = finished(procurement, job)["result"]
    assert preview["errors"] == [] and any("sends it back to draft" in w["message"] for w in preview["warnings"])
    assert finished(procurement, job_path(submit(procurement, job, "/apply")))["result"]["applied"] is True
    changed = requirement_of(db, "REQ-5")
    assert (changed.title, changed.status) == ("Quotes on a phone, offline too", "draft")

    job = job_path(upload(lead, "/p/crm/import/requirements",
                          workbook_with(lead, retitle("REQ-7", "Changed by the lead")), "l.xlsx"))
    preview = finished(lead, job)["result"]
    assert preview["errors"] == [], preview["errors"]
    assert finished(lead, job_path(submit(lead, job, "/apply")))["result"]["applied"] is True
    assert (requirement_of(db, "REQ-7").title, requirement_of(db, "REQ-7").status) == ("Changed by the lead",
                                                                                     "approved")


def test_the_lead_applying_procurements_preview_applies_what_it_showed(auth, db):
    """The preview is what gets applied: procurement's preview sends a changed approved item back to draft, and so
    does its apply, whoever applies it (the CRM lead's own rules would keep it approved)."""
    assert requirement_of(db, "REQ-5").status == "approved"
    procurement, lead = auth("procurement"), auth("lead")
    content = edited_requirements(procurement, "REQ-5", "Quotes approved on a phone, offline too")
    job = job_path(upload(procurement, "/p/crm/import/requirements", content, "crm.xlsx"))
    preview = finished(procurement, job)
    assert preview["role"] == "procurement" and preview["result"]["errors"] == []
    assert any("sends it back to draft" in w["message"] for w in preview["result"]["warnings"])

    applied = finished(lead, job_path(submit(lead, job, "/apply")))

    assert applied["status"] == "done", applied
    assert applied["owner"] == "lead" and applied["role"] == "procurement" and applied["preview"] == preview["id"]
    assert applied["result"]["applied"] is True
    assert [w["message"] for w in applied["result"]["warnings"]] == [w["message"] for w in
                                                                       preview["result"]["warnings"]]
    changed = requirement_of(db, "REQ-5")
    assert (changed.title, changed.status) == ("Quotes approved on a phone, offline too", "draft")


def test_an_apply_after_the_project_changed_writes_nothing_and_offers_to_preview_again(auth, db):
    """QA: the preview showed "1 changed" (REQ-12); the lead then edited REQ-11 in its form; applying gave
    "2 changed" and put the workbook's old REQ-11 back (approved, then draft). The apply now writes nothing."""
    procurement, lead = auth("procurement"), auth("lead")
    content = edited_requirements(procurement, "REQ-12", "Changed in the workbook")
    job = job_path(upload(procurement, "/p/crm/import/requirements", content, "crm.xlsx"))
    preview = finished(procurement, job)["result"]
    assert (preview["changed"], [item["id"] for item in preview["items"]]) == (1, ["REQ-12"])
    assert lead.save("REQ-11", {"title": "Edited by the lead"}).status_code == 302
    eleven, twelve = requirement_of(db, "REQ-11").model_dump(), requirement_of(db, "REQ-12").model_dump()

    applied = finished(procurement, job_path(submit(procurement, job, "/apply")))

    assert applied["status"] == "done", applied
    assert applied["result"]["applied"] is False
    assert [error["message"] for error in applied["result"]["errors"]] == [
        "the project changed since the preview (REQ-11 would now be changed too): preview the workbook again; "
        "nothing was imported"]
    assert requirement_of(db, "REQ-11").model_dump() == eleven and requirement_of(db, "REQ-12").model_dump() == twelve
    page = procurement.page(job_path_of(applied))
    assert "The project changed since the preview" in page.text and "nothing was saved" in page.text
    assert not [form for form in page.find_all("form") if "/apply" in form.attrs.get("action", "")]

    again = finished(procurement, job_path(submit(procurement, job_path_of(applied), "/preview")))

    assert again["kind"] == "requirements-preview" and again["upload"] == applied["upload"]
    shown = {item["id"]: {change["field"] for change in item["changes"]} for item in again["result"]["items"]}
    assert shown == {"REQ-11": {"title", "status"}, "REQ-12": {"title", "status"}}  # both back to draft
    assert any(warning["message"].startswith("REQ-11 was changed in reqtrace") and "replaces those changes" in
               warning["message"] for warning in again["result"]["warnings"])


def job_path_of(state: dict) -> str:
    return f"/p/crm/jobs/{state['id']}"


def test_an_added_row_is_shown_field_by_field_on_the_preview(auth):
    procurement = auth("procurement")
    content = workbook_with(procurement, lambda sheet, h, row: sheet.append(
        {h["Title"]: "Reps log calls", h["Statement"]: "Reps log calls from the phone.", h["Priority"]: "must",
         h["Processes"]: "PRC-1"}))
    job = job_path(upload(procurement, "/p/crm/import/requirements", content, "crm.xlsx"))
    preview = finished(procurement, job)["result"]
    (added,) = [item for item in preview["items"] if item["action"] == "add"]

    row = next(tr for tr in procurement.page(job).find_all("tr")
               if tr.find("td", cls="id") is not None and tr.one("td", cls="id").text == added["id"])

    fields = {div.one("strong").text: div.one("span", cls="after").text for div in row.find_all("div")}
    assert fields["title"] == "Reps log calls" and fields["statement"] == "Reps log calls from the phone."
    assert (fields["priority"], fields["status"], fields["processes"]) == ("must", "draft", "PRC-1")
    assert "owner" not in fields and "acceptance" not in fields


def test_a_preview_is_applied_only_under_the_role_it_was_checked_with(auth, db, tmp_path):
    """Someone whose role changed since their preview previews again: the CRM lead's preview is not applied with
    the lead's rules by a user who is now procurement."""
    from reqtrace.model import User

    session = db()
    add_user(session, username="lead2", role="admin", password=DEMO_PASSWORD, actor="test")
    session.commit()
    lead2 = auth("lead2")
    before = title_of(db, "REQ-5")
    job = job_path(upload(lead2, "/p/crm/import/requirements",
                          edited_requirements(lead2, "REQ-5", "Applied after a demotion"), "crm.xlsx"))
    preview = finished(lead2, job)
    assert preview["role"] == "admin" and preview["result"]["errors"] == []
    session.exec(select(User).where(User.username == "lead2")).scalars().one().role = "procurement"
    session.commit()
    jobs_before = set((tmp_path / "jobs").iterdir())

    response = lead2.post(f"/p/crm/import/requirements/{preview['upload']}/apply", {"preview": preview["id"]})

    assert response.status_code == 400
    assert "Your role changed since the preview of crm.xlsx" in parse_html(response.get_data(as_text=True)).text
    assert set((tmp_path / "jobs").iterdir()) == jobs_before
    assert title_of(db, "REQ-5") == before


def test_an_apply_that_names_no_finished_preview_of_its_upload_is_refused(auth, db, tmp_path):
    """Apply applies one preview; without one (or with another upload's, or an answers check) it is a 400."""
    procurement = auth("procurement")
    before = title_of(db, "REQ-5")
    content = edited_requirements(procurement, "REQ-5", "Applied without a preview")
    preview = finished(procurement, job_path(upload(procurement, "/p/crm/import/requirements", content, "crm.xlsx")))
    other = finished(procurement, job_path(upload(procurement, "/p/crm/import/requirements", content, "again.xlsx")))
    questionnaire, _answers = answered_questionnaire(procurement, "atlas", tmp_path)
    answers = finished(procurement, job_path(upload(procurement, "/p/crm/import/responses",
                                                    questionnaire.read_bytes(), "atlas.xlsx", vendor="atlas")))
    url = f"/p/crm/import/requirements/{preview['upload']}/apply"
    jobs_before = set((tmp_path / "jobs").iterdir())

    for form in ({}, {"mapping": "{}"}, {"preview": "no-such-job"}, {"preview": "../../etc"},
                 {"preview": other["id"]}, {"preview": answers["id"]}):
        response = procurement.post(url, form)
        assert response.status_code == 400, (form, response.status_code)
        text = parse_html(response.get_data(as_text=True)).text
        assert "Nothing to apply: this request names no preview of this workbook" in text, (form, text)
        assert "Nothing was imported" in text, (form, text)
    # A job writes its state before its request answers: none was started, so nothing can be written later.
    assert set((tmp_path / "jobs").iterdir()) == jobs_before
    assert title_of(db, "REQ-5") == before


def test_the_apply_applies_the_mapping_its_preview_showed_not_the_one_posted(auth, db):
    """Preview A (Notes kept as a custom field), then preview B (Notes ignored); the page of A is applied
    with a tampered form asking for B's mapping: what is saved is what A showed."""
    procurement = auth("procurement")
    first = job_path(upload(procurement, "/p/crm/import/requirements", foreign_workbook(), "finance.xlsx"))
    shown = finished(procurement, first)
    assert shown["mapping"] == {}
    assert {column["header"]: column["field"] for column in shown["result"]["sheets"][0]["columns"]}["Notes"] \
        == "custom"
    second = finished(procurement, job_path(submit(procurement, first, "/preview", **{"map:Notes": "ignore"})))
    assert second["mapping"]["Notes"] == "ignore" and second["upload"] == shown["upload"]

    tampered = submit(procurement, first, "/apply", mapping='{"Notes": "ignore", "Criticality": "ignore"}',
                      **{"map:Notes": "ignore", "map:Criticality": "ignore"})
    applied = finished(procurement, job_path(tampered))

    assert applied["status"] == "done", applied
    added = requirement_of(db, "REQ-900")
    assert added.priority == "must"  # Criticality was read, as the preview showed
    assert (added.custom_fields or {}).get("Notes") == "Asked by the CFO"
    result = applied["result"]
    assert result["applied"] is True
    assert (result["added"], result["changed"], result["unchanged"]) == (shown["result"]["added"],
                                                                          shown["result"]["changed"],
                                                                          shown["result"]["unchanged"])
    assert applied["preview"] == shown["id"] and applied["mapping"] == shown["mapping"]


def test_a_mapping_to_something_that_is_not_a_choice_is_refused_naming_the_column(auth, tmp_path):
    procurement = auth("procurement")
    job = job_path(upload(procurement, "/p/crm/import/requirements", foreign_workbook(), "finance.xlsx"))
    finished(procurement, job)
    jobs_before = set((tmp_path / "jobs").iterdir())

    response = submit(procurement, job, "/preview", **{"map:Notes": "banana"})

    assert response.status_code == 400
    text = parse_html(response.get_data(as_text=True)).text
    assert "'Notes' cannot become 'banana'" in text and "custom" in text and "Nothing was imported" in text
    assert set((tmp_path / "jobs").iterdir()) == jobs_before  # no preview was started


def test_a_foreign_workbook_shows_its_mapping_which_can_be_changed(auth, db):
    procurement = auth("procurement")
    job = job_path(upload(procurement, "/p/crm/import/requirements", foreign_workbook(), "finance.xlsx"))
    preview = finished(procurement, job)["result"]

    assert preview["format"] == "foreign" and preview["added"] == 2 and preview["errors"] == []
    [sheet] = preview["sheets"]
    assert sheet["sheet"] == "Supplier list" and sheet["header_row"] == 2
    assert {column["header"]: column["field"] for column in sheet["columns"]} == {
        "Req ID": "id", "Requirement": "statement", "Criticality": "priority", "Notes": "custom"}
    assert requirement_of(db, "REQ-900") is None

    remapped_job = job_path(submit(procurement, job, "/preview", **{"map:Notes": "ignore"}))
    remapped = finished(procurement, remapped_job)["result"]

    assert {column["header"]: column["field"] for column in remapped["sheets"][0]["columns"]}["Notes"] == "ignore"
    assert requirement_of(db, "REQ-900") is None
    applied = finished(procurement, job_path(submit(procurement, remapped_job, "/apply")))
    assert applied["result"]["applied"] is True and applied["result"]["added"] == 2
    added = requirement_of(db, "REQ-900")
    assert added is not None and added.priority == "must"
    assert "Notes" not in (added.custom_fields or {})
    assert "Asked by the CFO" not in str(added.model_dump())


def broken_workbook() -> bytes:
    """A workbook whose zip and parts pass the upload checks but whose sheet is cut off half-way."""
    source = zipfile.ZipFile(io.BytesIO(foreign_workbook()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            target.writestr(entry.filename, data[:len(data) // 2] if entry.filename.endswith("sheet1.xml") else data)
    return buffer.getvalue()


def assert_names_only_the_users_file(visitor: Visitor, job: str, state: dict, filename: str, uploads: Path):
    """The failed job's page and twin name `filename`, and neither the stored upload nor its folder."""
    html = visitor.get(job).get_data(as_text=True)
    twin = visitor.get(job + ".json").get_data(as_text=True)
    stored = list(uploads.iterdir())
    assert stored, "the upload's files are where the test looks"
    assert not any(path.stem in state["error"] for path in stored), state["error"]
    for shown in (state["error"], parse_html(html).text, twin):
        assert filename in shown, shown
        assert not any(path.name in shown for path in stored), shown  # the upload's id alone is public: it is in URLs
        assert str(uploads) not in shown and "/uploads" not in shown, shown


@pytest.mark.parametrize("url, fields", [("/p/crm/import/requirements", {}),
                                          ("/p/crm/import/responses", {"vendor": "atlas"})])
def test_a_broken_workbook_fails_naming_the_uploaded_file_not_the_stored_one(auth, db, url, fields, tmp_path):
    procurement = auth("procurement")
    job = job_path(upload(procurement, url, broken_workbook(), "Finance list (v3).xlsx", **fields))
    state = finished(procurement, job)

    assert state["status"] == "failed", state
    assert state["error"].startswith("Finance list (v3).xlsx could not be read as a workbook:"), state["error"]
    assert_names_only_the_users_file(procurement, job, state, "Finance list (v3).xlsx", tmp_path / "uploads")
    page = procurement.page(job)
    assert "The import could not run: Finance list (v3).xlsx could not be read" in page.text
    assert "Nothing was saved" in page.text
    assert not [form for form in page.find_all("form") if "/apply" in form.attrs.get("action", "")]
    assert requirement_of(db, "REQ-900") is None and answers_of(db, "atlas") == {}


def test_an_upload_gone_from_the_server_fails_naming_the_uploaded_file(auth, db, tmp_path, caplog):
    """Uploads are cleared after a day: applying an old preview says so, by the user's file name."""
    procurement = auth("procurement")
    content = edited_requirements(procurement, "REQ-5", "Applied after the upload was cleared")
    job = job_path(upload(procurement, "/p/crm/import/requirements", content, "crm requirements.xlsx"))
    finished(procurement, job)
    for stored in (tmp_path / "uploads").glob("*.xlsx"):
        stored.unlink()

    applying = job_path(submit(procurement, job, "/apply"))
    state = finished(procurement, applying)

    assert state["status"] == "failed", state
    assert "crm requirements.xlsx is no longer on the server" in state["error"] and "upload it again" in state["error"]
    assert_names_only_the_users_file(procurement, applying, state, "crm requirements.xlsx", tmp_path / "uploads")
    assert title_of(db, "REQ-5") != "Applied after the upload was cleared"
    assert not [record for record in caplog.records if record.levelname == "ERROR"]  # expected: not an alarm


def test_a_job_never_shows_a_server_path_whatever_fails(app, auth, tmp_path, caplog):
    """Any job: its failure and its result's problems name the user's file; an unexpected error is logged."""
    from reqtrace.formats import FormatError
    from web import jobs

    procurement = auth("procurement")
    stored = tmp_path / "uploads" / "Zq3xY7stored.xlsx"
    other = tmp_path / "uploads" / "Zq3xY7stored.json"

    def run(work) -> dict:
        job_id = jobs.start(app, owner="procurement", project="crm", kind="requirements-preview",
                            describe={"file": "mine.xlsx", "upload": "none", "mapping": {}}, work=work,
                            files={str(stored): "mine.xlsx"})
        return finished(procurement, f"/p/crm/jobs/{job_id}")

    def refused(progress):
        raise FormatError(f"{stored} could not be read as a workbook: see {other}")

    def unexpected(progress):
        raise RuntimeError(f"cannot open {stored}")

    def with_problems(progress):
        return {"applied": False, "added": 0, "changed": 0, "unchanged": 0, "removed": 0, "items": [],
                "errors": [{"sheet": None, "row": None, "column": None, "message": f"{stored.name} is odd"}],
                "warnings": [{"sheet": None, "row": None, "column": None, "message": f"read from {stored.parent}"}]}

    state = run(refused)
    assert state["error"] == "mine.xlsx could not be read as a workbook: see (a file on the server)"
    with caplog.at_level("ERROR"):
        state = run(unexpected)
    assert state["status"] == "failed" and "mine.xlsx" in state["error"] and "RuntimeError" in state["error"]
    assert str(tmp_path) not in state["error"] and stored.name not in state["error"]
    assert any("RuntimeError" in (record.exc_text or "") for record in caplog.records)  # logged for the admin
    state = run(with_problems)
    assert [e["message"] for e in state["result"]["errors"]] == ["mine.xlsx is odd"]
    assert [w["message"] for w in state["result"]["warnings"]] == ["read from (a file on the server)"]


def test_a_file_that_is_not_a_workbook_is_refused_with_its_reason(auth):
    procurement = auth("procurement")
    response = upload(procurement, "/p/crm/import/requirements", b"ID;Title\nREQ-1;x\n", "list.csv")
    assert response.status_code == 400
    assert "list.csv is not an .xlsx workbook" in response.get_data(as_text=True)
    response = upload(procurement, "/p/crm/import/requirements", b"ID;Title\nREQ-1;x\n", "list.xlsx")
    assert response.status_code == 400
    assert "list.xlsx is not an Excel workbook (.xlsx). Nothing was imported." in response.get_data(as_text=True)
    # the refusal leads back to the workbooks page, not to a dead end
    back = parse_html(response.get_data(as_text=True)).one("a", cls="button")
    assert back.attrs["href"] == "/p/crm/workbooks" and "workbooks" in back.text


def test_an_upload_above_the_size_limit_is_refused(bare_sample_url, tmp_path):
    small = create_app({"DATABASE_URL": bare_sample_url, "SECRET_KEY": "test", "MAX_CONTENT_LENGTH": 4096,
                        "JOBS_DIR": str(tmp_path / "jobs"), "UPLOADS_DIR": str(tmp_path / "uploads")})
    procurement = Visitor(small.test_client())
    assert procurement.login("procurement").status_code == 302
    response = upload(procurement, "/p/crm/import/requirements", foreign_workbook() + b"\0" * 8192, "big.xlsx")
    assert response.status_code == 413
    assert "Upload too large" in response.get_data(as_text=True)
    assert not (tmp_path / "uploads").exists() or not list((tmp_path / "uploads").glob("*.xlsx"))


@pytest.mark.parametrize("role", ["owner", "evaluator"])
def test_owners_and_evaluators_may_not_upload(auth, db, role, tmp_path):
    visitor = auth(role)
    before = title_of(db, "REQ-5")
    procurement = auth("procurement")
    content = edited_requirements(procurement, "REQ-5", "Changed by someone who may not")
    questionnaire, _answers = answered_questionnaire(procurement, "atlas", tmp_path)

    assert upload(visitor, "/p/crm/import/requirements", content, "crm.xlsx").status_code == 403
    assert upload(visitor, "/p/crm/import/responses", questionnaire.read_bytes(), "atlas.xlsx",
                  vendor="atlas").status_code == 403
    # A job writes its state before its request answers: none was started, so nothing can be written later.
    assert _no_jobs(tmp_path / "jobs")
    assert title_of(db, "REQ-5") == before
    assert answers_of(db, "atlas") == {}


def _second_buyer(db) -> None:
    """Another procurement user, buyer2, to try what is not theirs."""
    session = db()
    add_user(session, username="buyer2", role="procurement", password=DEMO_PASSWORD, actor="test")
    session.commit()


def test_someone_elses_upload_and_job_stay_theirs(auth, db, app, tmp_path):
    procurement = auth("procurement")
    _second_buyer(db)
    content = edited_requirements(procurement, "REQ-5", "Only procurement's change")
    job = job_path(upload(procurement, "/p/crm/import/requirements", content, "crm.xlsx"))
    state = finished(procurement, job)
    upload_id = state["upload"]
    jobs_before = set((tmp_path / "jobs").iterdir())

    other = auth("buyer2")
    assert other.get(job).status_code in (403, 404)
    assert other.get(job + ".json").status_code in (403, 404)
    response = other.post(f"/p/crm/import/requirements/{upload_id}/apply", {"preview": state["id"]})
    assert response.status_code in (403, 404)
    response = other.post(f"/p/crm/import/requirements/{upload_id}/preview", {"map:Title": "title"})
    assert response.status_code in (403, 404)
    assert auth("evaluator").get(job + ".json").status_code in (403, 404)
    assert set((tmp_path / "jobs").iterdir()) == jobs_before  # no apply, no preview started: nothing to write later
    assert title_of(db, "REQ-5") != "Only procurement's change"
    assert auth("lead").json(job + ".json")["job"]["id"] == state["id"]  # the CRM lead may look


def test_an_unknown_job_is_not_found(auth):
    assert auth("procurement").get("/p/crm/jobs/no-such-job.json").status_code == 404


# --- progress ------------------------------------------------------------------------------------

def test_a_running_import_shows_its_progress_on_the_page_and_its_twin(app, auth):
    """While a job runs, its page shows the stage and rows done and points its script at the JSON twin."""
    from web import jobs

    procurement = auth("procurement")
    reported, release = threading.Event(), threading.Event()

    def work(progress):
        progress("validate", 2000, 8000)
        reported.set()
        release.wait(10)
        return {"applied": False, "added": 0, "changed": 0, "unchanged": 0, "removed": 0, "errors": [],
                "warnings": [], "items": [], "format": "reqtrace", "sheets": []}

    job_id = jobs.start(app, owner="procurement", project="crm", kind="requirements-preview",
                        describe={"file": "big.xlsx", "upload": "none", "mapping": {}}, work=work)
    try:
        assert reported.wait(5)
        state = procurement.json(f"/p/crm/jobs/{job_id}.json")["job"]
        assert (state["status"], state["stage"], state["done"], state["total"]) == ("running", "validate", 2000, 8000)
        page = procurement.page(f"/p/crm/jobs/{job_id}")
        [box] = [element for element in page.iter() if "data-job-progress" in element.attrs]
        assert box.attrs["data-job-progress"] == f"/p/crm/jobs/{job_id}.json"
        bar = box.one("progress")
        assert (bar.attrs["value"], bar.attrs["max"]) == ("2000", "8000")
        assert "validate" in box.text and "2000 of 8000 rows" in box.text
    finally:
        release.set()
    assert finished(procurement, f"/p/crm/jobs/{job_id}")["status"] == "done"


def test_a_long_import_reports_its_rows(auth, db):
    """A workbook of thousands of rows: the job counts them as it validates."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Req ID", "Requirement", "Criticality"])
    for number in range(1, 4001):
        sheet.append([f"REQ-{1000 + number}", f"Generated requirement number {number} is met.", "Low"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    procurement = auth("procurement")

    state = finished(procurement, job_path(upload(procurement, "/p/crm/import/requirements", buffer.getvalue(),
                                                  "long.xlsx")), timeout=30)

    assert state["status"] == "done", state
    assert state["result"]["added"] == 4000
    assert state["stage"] == "validate" and state["done"] == 4000
    assert state["total"] in (4000, 4001)  # the sheet's rows, with or without its header
    assert requirement_of(db, "REQ-1001") is None


# --- questionnaire answers ---------------------------------------------------------------------

def test_answers_are_checked_then_stored(auth, db, tmp_path):
    procurement = auth("procurement")
    path, expected = answered_questionnaire(procurement, "atlas", tmp_path)

    job = job_path(upload(procurement, "/p/crm/import/responses", path.read_bytes(), "atlas-answers.xlsx",
                          vendor="atlas"))
    preview = finished(procurement, job)

    assert preview["status"] == "done", preview
    assert preview["vendor"] == "atlas"
    result = preview["result"]
    assert result["applied"] is False and result["errors"] == []
    assert (result["added"], result["changed"], result["unchanged"], result["removed"]) == (3, 0, 0, 0)
    assert result["answered"] == 3
    assert answers_of(db, "atlas") == {}
    # The progress bar followed the rows through the check (and never reached the saving stage).
    rows = sum(1 for row in openpyxl.load_workbook(path)["Questionnaire"].iter_rows(min_row=2, values_only=True)
               if row[0])
    assert (preview["stage"], preview["done"], preview["total"]) == ("validate", rows, rows)

    # The page's "Store these answers" button posts here (tested on its own below).
    stored = finished(procurement, job_path(procurement.post(f"/p/crm/import/responses/{preview['upload']}/apply")))

    assert stored["status"] == "done", stored
    assert stored["result"]["applied"] is True
    assert (stored["stage"], stored["done"], stored["total"]) == ("save", 3, 3)
    assert answers_of(db, "atlas") == expected
    atlas = next(v for v in procurement.json("/p/crm/workbooks.json")["vendors"] if v["slug"] == "atlas")
    assert atlas["answers"] == 3


def test_the_answers_preview_page_offers_to_store_them(auth, db, tmp_path):
    procurement = auth("procurement")
    path, expected = answered_questionnaire(procurement, "atlas", tmp_path)
    job = job_path(upload(procurement, "/p/crm/import/responses", path.read_bytes(), "atlas-answers.xlsx",
                          vendor="atlas"))
    finished(procurement, job)

    response = procurement.get(job)

    assert response.status_code == 200, response.get_data(as_text=True)[-800:]
    page = parse_html(response.get_data(as_text=True))
    name = next(v["name"] for v in procurement.json("/p/crm/vendors.json")["vendors"] if v["slug"] == "atlas")
    assert f"Answers of {name}" in page.one("h1").text and "Nothing is saved yet" in page.text
    assert "3 answered" in page.text
    assert not page.find("a", href="/p/crm/vendors/atlas/answers")  # nothing stored yet
    stored = finished(procurement, job_path(submit(procurement, job, "/apply")))
    assert stored["result"]["applied"] is True
    done = procurement.page(f"/p/crm/jobs/{stored['id']}")
    assert done.one("a", href="/p/crm/vendors/atlas/answers").text == f"See the answers of {name} as stored"
    assert answers_of(db, "atlas") == expected


def test_atlas_answers_uploaded_as_nimbus_are_refused(auth, db, tmp_path):
    procurement = auth("procurement")
    path, _expected = answered_questionnaire(procurement, "atlas", tmp_path)

    job = job_path(upload(procurement, "/p/crm/import/responses", path.read_bytes(), "answers.xlsx",
                          vendor="nimbus"))
    state = finished(procurement, job)

    result = state["result"]
    assert result["applied"] is False
    assert any("atlas" in error["message"] and "nimbus" in error["message"] for error in result["errors"]), result
    assert answers_of(db, "nimbus") == {} and answers_of(db, "atlas") == {}


def test_the_refusal_page_says_nothing_was_saved_and_offers_no_apply(auth, tmp_path):
    procurement = auth("procurement")
    path, _expected = answered_questionnaire(procurement, "atlas", tmp_path)
    job = job_path(upload(procurement, "/p/crm/import/responses", path.read_bytes(), "answers.xlsx",
                          vendor="nimbus"))
    finished(procurement, job)

    response = procurement.get(job)

    assert response.status_code == 200, response.get_data(as_text=True)[-800:]
    page = parse_html(response.get_data(as_text=True))
    assert "nothing was saved" in page.text and "atlas" in page.text
    assert not [form for form in page.find_all("form") if "/apply" in form.attrs.get("action", "")]


# --- exports as jobs: progress, a summary, the file for its starter only ----------------------------

EXPORTS = {  # what the page's button posts to, its direct download, and the sheet whose rows come last
    "requirements": ("/p/crm/export/requirements", ("GET", "/p/crm/export/requirements.xlsx"), "Requirements",
                     "crm-requirements.xlsx"),
    "questionnaire": ("/p/crm/export/questionnaire/atlas", ("POST", "/p/crm/vendors/atlas/questionnaire"),
                      "Questionnaire", "crm-atlas-questionnaire.xlsx"),
    "scores": ("/p/crm/export/scores", ("GET", "/p/crm/export/scores.xlsx"), "Evidence", "crm-scores.xlsx"),
}
VOLATILE = {"exported_at", "issue", "issued_at"}  # metadata that differs between two exports by design


def direct(visitor: Visitor, method: str, url: str):
    return visitor.get(url) if method == "GET" else visitor.post(url)


def cells(content: bytes) -> dict[str, list[tuple]]:
    """Sheet name -> its rows' values, in the workbook's order (the metadata's time and token left out)."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: [row for row in sheet.iter_rows(values_only=True) if not (row and row[0] in VOLATILE)]
            for sheet in workbook.worksheets}


def data_rows(content: bytes, sheet: str) -> int:
    """Rows below the header with a first cell, as a person counts them (the scoring record's Summary: the
    vendors' rows, below the title, the settings and the vendor table's own header)."""
    rows = list(openpyxl.load_workbook(io.BytesIO(content))[sheet].iter_rows(values_only=True))
    first = next(index for index, row in enumerate(rows) if row[:2] == ("Vendor", "Name")) + 1 \
        if sheet == "Summary" else 1
    return sum(1 for row in rows[first:] if row and row[0] not in (None, ""))


@pytest.fixture
def progress_seen(monkeypatch):
    """Every state the jobs write, in order (a poll could miss the quick ones); reports every 50 rows."""
    import reqtrace.formats
    import reqtrace.formats.requirements_export
    from web import jobs

    seen: list[dict] = []
    write = jobs.write
    monkeypatch.setattr(jobs, "write", lambda app, job_id, state: (seen.append(dict(state)), write(app, job_id, state)))
    monkeypatch.setattr(reqtrace.formats, "PROGRESS_EVERY", 50)
    return seen


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_an_export_job_shows_its_progress_then_a_summary_and_the_same_workbook_as_the_download(
        auth, db, kind, progress_seen, tmp_path):
    start, (method, url), last_sheet, filename = EXPORTS[kind]
    procurement = auth("procurement")
    assert procurement.page("/p/crm/workbooks").find("form", action=start) is not None

    job = job_path(procurement.post(start))
    state = finished(procurement, job)

    assert state["status"] == "done", state
    assert (state["kind"], state["file"], state["owner"]) == (f"export-{kind}", filename, "procurement")
    data = procurement.json(job + ".json")
    assert data["download"] == f"{job}.xlsx"
    response = procurement.get(data["download"])
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == f"attachment; filename={filename}"
    assert "no-store" in response.headers["Cache-Control"]
    directly = direct(procurement, method, url)
    assert directly.status_code == 200
    assert directly.headers["Content-Disposition"] == response.headers["Content-Disposition"]
    assert cells(response.data) == cells(directly.data)  # the same sheets, rows and cells

    # The progress reached the last sheet's last row; each sheet's reports ended at its rows written.
    rows = data_rows(response.data, last_sheet)
    assert rows > 50
    assert (state["stage"], state["done"], state["total"]) == (f"writing {last_sheet}", rows, rows)
    ours = [seen for seen in progress_seen if seen["id"] == state["id"] and seen["status"] == "running"]
    assert ours[0]["stage"] == "starting"
    assert any(0 < seen["done"] < seen["total"] for seen in ours), "no report before a sheet's last row"
    written = {seen["stage"].removeprefix("writing "): seen["done"] for seen in ours[1:]
               if seen["done"] == seen["total"]}
    assert written == {sheet: count for sheet, count in state["result"]["sheets"].items() if count}
    for sheet, count in state["result"]["sheets"].items():
        assert data_rows(response.data, sheet) == count, sheet

    # The page: what was written, and the file.
    page = procurement.page(job)
    assert f"{filename} is ready" in page.text
    link = page.one("a", href=f"{job}.xlsx")
    assert link.text == f"Download {filename}"
    shown = {row.find_all("td")[0].text: row.find_all("td")[1].text
             for row in page.one("table", cls="export-summary").find("tbody").find_all("tr")}
    assert shown == {sheet: f"{count:,}" for sheet, count in state["result"]["sheets"].items()}
    assert not [form for form in page.find_all("form") if "/apply" in form.attrs.get("action", "")]
    assert str(tmp_path) not in procurement.get(job).get_data(as_text=True)
    assert str(tmp_path) not in procurement.get(job + ".json").get_data(as_text=True)


def test_the_summary_says_what_was_written(auth, db):
    procurement = auth("procurement")
    questionnaire = finished(procurement, job_path(procurement.post("/p/crm/export/questionnaire/atlas")))
    text = procurement.page(f"/p/crm/jobs/{questionnaire['id']}").text
    rows = questionnaire["result"]["rows"]
    assert f"{rows} requirements for Atlas" in text and "(atlas)" in text
    assert "from the approved requirements (no baseline yet)" in text and "Recorded as issued" in text
    assert "issue" not in questionnaire["result"]  # the issue's token stays in the workbook
    assert db().exec(select(func.count()).select_from(QuestionnaireIssue)).scalar_one() == 1
    atlas = next(v for v in procurement.json("/p/crm/workbooks.json")["vendors"] if v["slug"] == "atlas")
    assert atlas["issued_at"] is not None

    scores = finished(procurement, job_path(procurement.post("/p/crm/export/scores")))
    text = procurement.page(f"/p/crm/jobs/{scores['id']}").text
    assert "3 vendors × 172 requirements, scored on the approved requirements (no baseline yet)" in text

    requirements = finished(procurement, job_path(procurement.post("/p/crm/export/requirements")))
    text = procurement.page(f"/p/crm/jobs/{requirements['id']}").text
    assert "Every strategy, role, process and requirement" in text
    assert requirements["result"]["sheets"]["Requirements"] == 172


def test_an_export_job_and_its_file_are_its_starters_and_the_leads(auth, db, app):
    procurement = auth("procurement")
    _second_buyer(db)
    job = job_path(procurement.post("/p/crm/export/scores"))
    finished(procurement, job)

    for visitor in (auth("buyer2"), auth("evaluator"), auth("owner")):
        for url in (job, job + ".json", job + ".xlsx"):
            assert visitor.get(url).status_code in (403, 404), (visitor.username, url)
    lead = auth("lead")
    response = lead.get(job + ".xlsx")
    assert response.status_code == 200 and "Summary" in openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames
    assert lead.get("/p/crm/jobs/no-such-job.xlsx").status_code == 404
    # an import's job has no file to download
    content = edited_requirements(procurement, "REQ-5", "An import, not an export")
    imported = job_path(upload(procurement, "/p/crm/import/requirements", content, "crm.xlsx"))
    finished(procurement, imported)
    assert procurement.get(imported + ".xlsx").status_code == 404


def _no_jobs(folder: Path) -> bool:
    return not folder.exists() or not list(folder.iterdir())


def _refusal(response) -> tuple[int, str]:
    return response.status_code, parse_html(response.get_data(as_text=True)).one("p", cls="error-message").text


@pytest.mark.parametrize("user, start, method, url", [
    ("evaluator", "/p/crm/export/scores", "GET", "/p/crm/export/scores.xlsx"),  # no ranking for evaluators
    ("owner", "/p/crm/export/scores", "GET", "/p/crm/export/scores.xlsx"),
    ("owner", "/p/crm/export/questionnaire/atlas", "POST", "/p/crm/vendors/atlas/questionnaire"),
    ("procurement", "/p/crm/export/questionnaire/nobody", "POST", "/p/crm/vendors/nobody/questionnaire"),
    ("procurement", "/p/nope/export/requirements", "GET", "/p/nope/export/requirements.xlsx"),
    ("procurement", "/p/nope/export/scores", "GET", "/p/nope/export/scores.xlsx"),
])
def test_a_refused_export_starts_no_job_and_says_what_its_download_says(auth, db, user, start, method, url,
                                                                        tmp_path):
    visitor = auth(user)
    refused = visitor.post(start)
    assert _no_jobs(tmp_path / "jobs")  # a job writes its state before its request answers
    assert refused.status_code in (403, 404)
    assert _refusal(refused) == _refusal(direct(visitor, method, url))
    assert db().exec(select(func.count()).select_from(QuestionnaireIssue)).scalar_one() == 0
    as_json = visitor.post(start, headers={"Accept": "application/json"})
    assert (as_json.status_code, as_json.get_json()["message"]) == _refusal(refused)


def test_an_export_without_the_csrf_token_is_refused_and_starts_no_job(auth, db, tmp_path):
    procurement = auth("procurement")
    for start, _direct, _sheet, _name in EXPORTS.values():
        for token in ([], [("csrf_token", "IjEyMzQ1Njc4OTAi.forged.signature")]):
            response = procurement.post(start, token, csrf=False)
            assert response.status_code == 400, (start, token)
            assert "nothing was saved" in response.get_data(as_text=True)
    assert _no_jobs(tmp_path / "jobs")  # a job writes its state before its request answers
    assert db().exec(select(func.count()).select_from(QuestionnaireIssue)).scalar_one() == 0


def test_someone_still_scoring_starts_no_scoring_record_export(auth, app, tmp_path):
    """The lead attends a demo and has not submitted: the record (every vendor's scores) waits, as the ranking."""
    from reqtrace.db import make_engine, session_scope
    from reqtrace.poc.scripts import build_version
    from reqtrace.services.projects import get_project
    from reqtrace.services.sessions import create_session
    from reqtrace.services.vendors import get_vendor

    engine = make_engine(app.config["DATABASE_URL"])
    with session_scope(engine, write=True) as db:
        project = get_project(db, "crm")
        create_session(db, project, get_vendor(db, project, "atlas"), build_version(db, project, actor="lead"),
                       actor="lead", attendees=["lead"])
    engine.dispose()
    lead = auth("lead")

    refused = lead.post("/p/crm/export/scores")

    assert _refusal(refused) == _refusal(lead.get("/p/crm/export/scores.xlsx"))
    assert refused.status_code == 403 and "still scoring atlas" in _refusal(refused)[1]
    assert _no_jobs(tmp_path / "jobs")  # a job writes its state before its request answers
    assert lead.page("/p/crm/workbooks").find("form", action="/p/crm/export/requirements") is not None


def test_a_running_export_shows_its_progress_and_offers_no_file_yet(app, auth, tmp_path):
    from web import jobs

    procurement = auth("procurement")
    reported, release = threading.Event(), threading.Event()

    def write(target, progress):
        progress("writing Requirements", 4000, 10000)
        reported.set()
        release.wait(10)
        Workbook().save(target)
        return {"project": "crm", "sheets": {"Requirements": 10000}}

    job_id = jobs.start_export(app, owner="procurement", project="crm", kind="export-requirements",
                               describe={"file": "crm-requirements.xlsx"}, write_workbook=write)
    try:
        assert reported.wait(5)
        page = procurement.page(f"/p/crm/jobs/{job_id}")
        [box] = [element for element in page.iter() if "data-job-progress" in element.attrs]
        assert "writing Requirements" in box.text and "4000 of 10000 rows" in box.text
        assert "reload it" in box.one("noscript").raw_text  # without JavaScript, a link to look again
        assert page.find("a", href=f"/p/crm/jobs/{job_id}.xlsx") is None
        assert procurement.json(f"/p/crm/jobs/{job_id}.json")["download"] is None
        waiting = procurement.get(f"/p/crm/jobs/{job_id}.xlsx")
        assert waiting.status_code == 404 and "wait until its page says it is ready" in waiting.text
        assert not list((tmp_path / "jobs").glob("*.xlsx"))  # the file appears only once complete
    finally:
        release.set()
    assert finished(procurement, f"/p/crm/jobs/{job_id}")["status"] == "done"
    assert procurement.get(f"/p/crm/jobs/{job_id}.xlsx").status_code == 200


def test_a_failed_export_says_so_without_a_server_path_and_leaves_no_file(app, auth, tmp_path, caplog):
    from web import jobs

    procurement = auth("procurement")

    def write(target, progress):
        progress("writing Scores", 50, 100)
        Path(target).write_bytes(b"half a workbook")
        raise OSError(f"No space left on device: {target}")

    with caplog.at_level("ERROR"):
        job_id = jobs.start_export(app, owner="procurement", project="crm", kind="export-scores",
                                   describe={"file": "crm-scores.xlsx"}, write_workbook=write)
        state = finished(procurement, f"/p/crm/jobs/{job_id}")

    assert state["status"] == "failed"
    assert "crm-scores.xlsx" in state["error"] and "logged for the administrator" in state["error"]
    page = procurement.page(f"/p/crm/jobs/{job_id}")
    assert "The export could not run" in page.text and "No workbook was written" in page.text
    for shown in (page.text, procurement.get(f"/p/crm/jobs/{job_id}.json").get_data(as_text=True)):
        assert str(tmp_path) not in shown and f"{job_id}.part" not in shown and "/jobs/" + job_id + "." not in shown
    assert [path.name for path in (tmp_path / "jobs").iterdir()] == [f"{job_id}.json"]  # no half file left
    assert procurement.get(f"/p/crm/jobs/{job_id}.xlsx").status_code == 404
    assert any("OSError" in (record.exc_text or "") for record in caplog.records)


def test_an_export_is_kept_for_a_day_like_an_upload(app, auth, tmp_path):
    import os

    from web import jobs

    procurement = auth("procurement")
    old = finished(procurement, job_path(procurement.post("/p/crm/export/requirements")))
    kept = tmp_path / "jobs" / f"{old['id']}.xlsx"
    assert kept.is_file()
    a_day_ago = time.time() - jobs.KEEP_SECONDS - 60
    for path in (tmp_path / "jobs").iterdir():
        os.utime(path, (a_day_ago, a_day_ago))

    finished(procurement, job_path(procurement.post("/p/crm/export/requirements")))  # any new job tidies up

    assert not kept.exists()
    assert procurement.get(f"/p/crm/jobs/{old['id']}.xlsx").status_code == 404


def test_a_text_stored_before_the_length_check_gets_a_message_not_a_500(auth, db):
    from sqlalchemy import update

    from reqtrace.model import Role

    session = db()
    session.exec(update(Role).where(Role.hid == "ROL-3").values(description="A" * 40_000))
    session.commit()
    response = auth("procurement").get("/p/crm/export/requirements.xlsx")
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Roles row" in text and "40000 characters do not fit in one Excel cell" in text


def test_a_preview_that_would_change_nothing_says_so_and_offers_nothing_to_apply(auth, db, tmp_path):
    procurement = auth("procurement")
    path, expected = answered_questionnaire(procurement, "atlas", tmp_path)
    first = job_path(upload(procurement, "/p/crm/import/responses", path.read_bytes(), "a.xlsx", vendor="atlas"))
    finished(procurement, first)
    page = parse_html(procurement.get(first).get_data(as_text=True))
    assert [row.find_all("td")[0].text for row in page.one("table", cls="answers").one("tbody").find_all("tr")] == \
        sorted(expected, key=lambda hid: int(hid.split("-")[1]))
    assert finished(procurement, job_path(submit(procurement, first, "/apply")))["result"]["applied"] is True

    again = job_path(upload(procurement, "/p/crm/import/responses", path.read_bytes(), "a.xlsx", vendor="atlas"))
    assert finished(procurement, again)["result"]["unchanged"] == 3
    page = parse_html(procurement.get(again).get_data(as_text=True))
    assert "Nothing would change: these answers are the ones stored." in page.one("p", **{"data-nothing-to-do": ""}).text
    assert page.find("button", cls="primary") is None


def test_an_unchanged_requirements_workbook_says_nothing_would_change(auth):
    lead = auth("lead")
    content = lead.get("/p/crm/export/requirements.xlsx").data
    job = job_path(upload(lead, "/p/crm/import/requirements", content, "requirements.xlsx"))
    assert finished(lead, job, timeout=30)["result"]["changed"] == 0
    page = parse_html(lead.get(job).get_data(as_text=True))
    assert "Nothing would change: the workbook says what the project already holds." in \
        page.one("p", **{"data-nothing-to-do": ""}).text
    assert page.find("button", cls="primary") is None
