"""Operators see who did what: one log line per request, naming the user and never the form's contents."""

from __future__ import annotations

import logging


def test_each_request_is_logged_with_its_user_and_status(auth, caplog):
    lead = auth("lead")
    with caplog.at_level(logging.INFO, logger="reqtrace.access"):
        assert lead.get("/p/crm/matrix").status_code == 200
        assert lead.get("/p/crm/items/REQ-99999").status_code == 404
    lines = [record.getMessage() for record in caplog.records if record.name == "reqtrace.access"]
    assert any(line.startswith("lead GET /p/crm/matrix 200 ") and line.endswith("ms") for line in lines), lines
    assert any(line.startswith("lead GET /p/crm/items/REQ-99999 404") for line in lines), lines


def test_a_login_is_logged_without_the_password(client, caplog):
    visitor = client()
    with caplog.at_level(logging.INFO, logger="reqtrace.access"):
        visitor.login("lead")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "lead POST /login 302" in text  # the user the login made
    assert "password" not in text.lower()
