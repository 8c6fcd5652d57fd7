"""An upload past the size limit is refused before it is read, with the limit named and a way back."""

from __future__ import annotations

import io

from tests.questionnaire.fixtures import (bare_sample_postgres_template, bare_sample_sqlite_file,  # noqa: F401
                                          bare_sample_url)
from tests.web.support import Visitor, parse_html
from web import create_app

LIMIT = 64 * 1024


def _small_app(url, tmp_path):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "test", "MAX_CONTENT_LENGTH": LIMIT,
                       "JOBS_DIR": str(tmp_path / "jobs"), "UPLOADS_DIR": str(tmp_path / "uploads")})


def _upload(visitor: Visitor, url: str, size: int, headers: dict[str, str]):
    data = {"csrf_token": visitor.token(), "file": (io.BytesIO(b"PK" + b"\0" * size), "big.xlsx")}
    return visitor.client.post(url, data=data, content_type="multipart/form-data", base_url=visitor.base_url,
                               headers=headers)


def test_the_refusal_names_the_limit_and_leads_back_to_the_upload(bare_sample_url, tmp_path):
    procurement = Visitor(_small_app(bare_sample_url, tmp_path).test_client())
    assert procurement.login("procurement").status_code == 302
    response = _upload(procurement, "/p/crm/import/requirements", 2 * LIMIT,
                       {"Referer": procurement.base_url + "/p/crm/workbooks", "Accept": "text/html"})
    assert response.status_code == 413
    page = parse_html(response.get_data(as_text=True))
    assert "upload limit of 65,536 bytes" in page.text and "nothing was saved" in page.text
    back = page.one("a", cls="button")
    assert back.attrs["href"] == "/p/crm/workbooks"
    assert not (tmp_path / "uploads").exists() or not list((tmp_path / "uploads").iterdir())


def test_a_script_gets_the_same_message_as_json(bare_sample_url, tmp_path):
    procurement = Visitor(_small_app(bare_sample_url, tmp_path).test_client())
    assert procurement.login("procurement").status_code == 302
    response = _upload(procurement, "/p/crm/import/requirements", 2 * LIMIT, {"Accept": "application/json"})
    assert response.status_code == 413
    body = response.get_json()
    assert body["error"] == "Upload too large" and "upload limit of 65,536 bytes" in body["message"]
