import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _settings_in_subprocess(env: dict, expr: str) -> str:
    """Import config.settings in a fresh interpreter with `env` and print `expr`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    code = f"import config.settings as s; print(repr(({expr})))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_database_url_defaults_to_sqlite_file_in_project():
    out = _settings_in_subprocess({}, "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME']")
    assert "sqlite3" in out
    assert str(ROOT / "db.sqlite3") in out


def test_database_url_switches_to_postgresql():
    out = _settings_in_subprocess(
        {"DATABASE_URL": "postgres://u:p@db.example:5433/papers"},
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], s.DATABASES['default']['PORT'],"
        " s.DATABASES['default']['NAME'], s.DATABASES['default']['CONN_HEALTH_CHECKS']",
    )
    assert out == "('core.db.postgresql', 'db.example', 5433, 'papers', True)"


def test_dj_database_url_parses_sqlite_and_postgres():
    assert dj_database_url.parse("sqlite:////tmp/x.db")["ENGINE"] == "django.db.backends.sqlite3"
    assert dj_database_url.parse("postgres://a@localhost/b")["ENGINE"] == "django.db.backends.postgresql"


def test_redis_url_selects_redis_cache_otherwise_local_memory():
    assert "LocMemCache" in _settings_in_subprocess({}, "s.CACHES['default']['BACKEND']")
    out = _settings_in_subprocess({"REDIS_URL": "redis://127.0.0.1:6379/1"}, "s.CACHES['default']")
    assert "core.redis_cache.RedisCache" in out and "redis://127.0.0.1:6379/1" in out


def test_redis_replies_are_parsed_in_c():
    """hiredis (requirements.txt) is installed, so redis-py parses every cache reply with it, not in Python."""
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE


def test_production_requires_secret_key():
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**base, "DJANGO_DEBUG": "0"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_settings_are_hardened():
    out = _settings_in_subprocess(
        {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 60, "DJANGO_ALLOWED_HOSTS": "papers.example"},
        "s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.ALLOWED_HOSTS,"
        " s.STORAGES['staticfiles']['BACKEND']",
    )
    assert out == ("(False, True, True, True, ['papers.example'], 'core.storage.ManifestStaticStorage')")


def test_check_deploy_is_clean_in_production_mode():
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env = {
        **base,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "k3y-" + "q8Zr!vT2pL9wX4mN7bC1dF6gH0jK5sA3" * 2,
        "DJANGO_ALLOWED_HOSTS": "papers.example",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.django_db
def test_security_headers_on_pages(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_gunicorn_runs_a_process_per_core_plus_one_with_six_threads(monkeypatch):
    import importlib

    from config import gunicorn

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    defaults = importlib.reload(gunicorn)
    assert (defaults.worker_class, defaults.workers, defaults.threads) == ("gthread", os.cpu_count() + 1, 6)
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    monkeypatch.setenv("GUNICORN_THREADS", "2")
    chosen = importlib.reload(gunicorn)
    assert (chosen.workers, chosen.threads) == (7, 2)
    monkeypatch.undo()
    importlib.reload(gunicorn)
