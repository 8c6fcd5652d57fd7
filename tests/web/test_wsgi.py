"""`web.wsgi:app`, for gunicorn or waitress-serve: configured from the environment, never migrating itself."""

from __future__ import annotations

import subprocess
import sys


def load_wsgi(url: str, tmp_path) -> subprocess.CompletedProcess:
    code = "import web.wsgi as w; c = w.app.test_client(); print(c.get('/healthz').status_code)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "REQTRACE_DATABASE_URL": url,
                               "REQTRACE_HOME": str(tmp_path / "home")}, cwd=tmp_path)


def test_the_wsgi_app_serves_a_migrated_database(sample_url, tmp_path):
    result = load_wsgi(sample_url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("200")


def test_the_wsgi_app_refuses_a_database_that_needs_reqtrace_init(tmp_path):
    result = load_wsgi(f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
    assert result.returncode != 0
    assert "run `reqtrace init` first" in result.stderr
