"""Security headers, production settings, `check --deploy` and bandit."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3y-" + "q8Zr!vT2pL9wX4mN7bC1dF6gH0jK5sA3" * 2,
    "DJANGO_ALLOWED_HOSTS": "papers.example",
}
HTMX = {"HX-Request": "true"}


def _clean_env(**extra) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    return {**base, **extra}


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_security_headers(response, where: str) -> None:
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"), where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", where
    csp = _csp_directives(response["Content-Security-Policy"])
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, (where, scripts)
    assert "*" not in scripts and not any(s.startswith(("http:", "https:", "data:")) for s in scripts), where
    assert csp.get("object-src") == ["'none'"], where
    assert csp.get("base-uri") in (["'self'"], ["'none'"]), where
    assert csp.get("frame-ancestors") == ["'none'"], where
    assert csp.get("form-action") == ["'self'"], where


def test_headers_on_pages_partials_files_and_errors(world, client_for):
    learner, instructor, anon = client_for("learner"), client_for("instructor"), client_for("anon")
    checks = [
        ("home", anon.get("/")),
        ("paper list partial", anon.get(reverse("papers:paper_list"), {"q": "x"}, headers=HTMX)),
        ("take page", learner.get(reverse("quizzes:attempt_detail", args=[world.open_attempt.pk]))),
        (
            "autosave partial",
            learner.post(
                reverse("quizzes:attempt_autosave", args=[world.open_attempt.pk, world.question("short").pk]),
                {f"q-{world.question('short').pk}": "x"},
                headers=HTMX,
            ),
        ),
        ("term preview", anon.get(reverse("glossary:term_preview", args=[world.term.slug]))),
        ("404", anon.get("/no-such-page/")),
        ("403", learner.get(reverse("progress:instructor_matrix"))),
        ("csv export", instructor.get(reverse("progress:export_grades"))),
        ("gift export", instructor.get(reverse("quizzes:quiz_export_gift", args=[world.keyed_quiz.slug]))),
        ("admin", instructor.get("/admin/")),
        ("sign-in", anon.get(reverse("login"))),
    ]
    for where, response in checks:
        assert_security_headers(response, where)


def test_downloads_are_attachments_with_exact_types(world, client_for):
    instructor = client_for("instructor")
    for url, content_type in [
        (reverse("progress:export_progress"), "text/csv"),
        (reverse("progress:export_grades"), "text/csv"),
        (reverse("quizzes:quiz_export_gift", args=[world.keyed_quiz.slug]), "text/plain"),
    ]:
        response = instructor.get(url)
        assert response["Content-Type"].startswith(content_type)
        assert response["Content-Disposition"].startswith("attachment;")


def test_csv_exports_defuse_spreadsheet_formulas(world, client_for):
    """A learner controls their e-mail and name; a cell starting with = + - @ must not run in Excel."""
    learner = world.learner
    learner.email = "=cmd|'/C calc'!A0@example.org"
    learner.first_name, learner.last_name = "+SUM(1;1)", "@evil"
    learner.save()
    world.paper.title = '=HYPERLINK("https://evil.example")'
    world.paper.save()
    for name in ("progress:export_progress", "progress:export_grades"):
        response = client_for("instructor").get(reverse(name))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        cells = [cell for row in rows for cell in row]
        assert "'=cmd|'/C calc'!A0@example.org" in cells and '\'=HYPERLINK("https://evil.example")' in cells
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], name


def test_no_caching_of_private_pages_by_shared_caches(world, client_for):
    """Pages that differ per user say so, so that a proxy never serves one learner's page to another."""
    learner = client_for("learner")
    for url in (
        reverse("quizzes:attempt_detail", args=[world.open_attempt.pk]),
        reverse("progress:dashboard"),
        reverse("glossary:review"),
    ):
        response = learner.get(url)
        cache_control = response.get("Cache-Control", "")
        vary = response.get("Vary", "")
        assert "public" not in cache_control, url
        assert "Cookie" in vary or "private" in cache_control or "no-store" in cache_control, (url, vary, cache_control)


# ---------------------------------------------------------------- production mode (fresh interpreter)


def _run_in_production(code: str, **extra_env) -> str:
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_clean_env(**PRODUCTION_ENV, **extra_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_production_settings_are_secure():
    out = _run_in_production(
        "import json, config.settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
        "'session_httponly': s.SESSION_COOKIE_HTTPONLY, 'hsts': s.SECURE_HSTS_SECONDS,"
        "'hsts_sub': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'ssl_redirect': s.SECURE_SSL_REDIRECT,"
        "'nosniff': s.SECURE_CONTENT_TYPE_NOSNIFF, 'hosts': s.ALLOWED_HOSTS,"
        "'dev_key': s.SECRET_KEY == s._DEV_SECRET_KEY, 'demo': s.DEMO_ACCOUNTS}))"
    )
    values = json.loads(out)
    assert values == {
        "debug": False,
        "session_secure": True,
        "csrf_secure": True,
        "session_httponly": True,
        "hsts": values["hsts"],
        "hsts_sub": True,
        "ssl_redirect": True,
        "nosniff": True,
        "hosts": ["papers.example"],
        "dev_key": False,
        "demo": False,
    }
    assert values["hsts"] >= 31536000


def test_production_responses_carry_hsts_secure_cookies_and_redirect_to_https():
    code = """
import django, json
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
from django.conf import settings
# Headers are under test here, not collectstatic: serve static names unhashed.
plain_storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
settings.STORAGES = {**settings.STORAGES, "staticfiles": plain_storage}
client = Client(HTTP_HOST="papers.example")
plain = client.get("/accounts/login/")
secure = client.get("/accounts/login/", secure=True)
cookie = secure.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "secure_status": secure.status_code,
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csrf_cookie_secure": bool(cookie and cookie["secure"]),
    "csp": secure.get("Content-Security-Policy", ""),
    "bad_host": client.get("/healthz", HTTP_HOST="evil.example", secure=True).status_code,
}))
"""
    values = json.loads(_run_in_production(code, DJANGO_SETTINGS_MODULE="config.settings").strip().splitlines()[-1])
    assert values["plain_status"] == 301 and values["plain_location"].startswith("https://papers.example/")
    assert values["secure_status"] == 200
    assert "max-age=31536000" in values["hsts"] and "includeSubDomains" in values["hsts"]
    assert values["csrf_cookie_secure"]
    assert "'unsafe-inline'" not in _csp_directives(values["csp"])["script-src"]
    assert values["bad_host"] == 400  # Host header poisoning (password-reset links) is refused


def test_check_deploy_is_clean_in_production_mode():
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_clean_env(**PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env=_clean_env(DJANGO_DEBUG="0"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_bandit_finds_no_high_severity_issue():
    bandit = Path(sys.executable).with_name("bandit")
    if not bandit.exists():
        pytest.fail(f"bandit is not installed next to {sys.executable}: pip install -r requirements-dev.txt")
    apps = ["core", "accounts", "papers", "quizzes", "glossary", "progress", "lessons", "bench", "config"]
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [str(bandit), "-r", *apps, "-lll", "-q", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    high = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] == "HIGH"
    ]
    assert not high, high
    assert not report["errors"], report["errors"]
    assert result.returncode == 0, result.stderr
