"""core.db.postgresql: the health check of a reused connection, skipped while it is busy."""

import pytest
from django.db import connection, connections

from core.db.postgresql import base

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wrapper():
    """A connection of its own (not the test's), with health checks on, as in production."""
    settings = {**connections["default"].settings_dict, "CONN_HEALTH_CHECKS": True, "CONN_MAX_AGE": 600}
    db = base.DatabaseWrapper(settings, alias="health-check-test")
    yield db
    db.close()


def _start_request(db):
    """What Django does when a request starts and ends (`close_old_connections`)."""
    db.close_if_unusable_or_obsolete()


def _backend_pid(db) -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_settings_select_this_backend():
    assert isinstance(connections["default"], base.DatabaseWrapper)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_connection_used_a_moment_ago_is_not_checked(wrapper, monkeypatch):
    pid = _backend_pid(wrapper)
    checks = []
    monkeypatch.setattr(wrapper, "is_usable", lambda: checks.append(1) or True)
    _start_request(wrapper)
    assert _backend_pid(wrapper) == pid
    assert checks == []


def test_an_idle_connection_is_checked_before_reuse(wrapper, monkeypatch):
    pid = _backend_pid(wrapper)
    wrapper.last_used -= base.HEALTH_CHECK_IDLE + 0.1  # as if idle that long
    checks = []
    real = wrapper.is_usable
    monkeypatch.setattr(wrapper, "is_usable", lambda: checks.append(1) or real())
    _start_request(wrapper)
    assert _backend_pid(wrapper) == pid  # the same connection, checked once
    assert checks == [1]


def test_an_idle_connection_that_died_is_replaced(wrapper):
    pid = _backend_pid(wrapper)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    wrapper.last_used -= base.HEALTH_CHECK_IDLE + 0.1
    _start_request(wrapper)
    new_pid = _backend_pid(wrapper)  # no error: the check found it dead and reconnected
    assert new_pid != pid


def test_a_statement_run_often_is_prepared_once(wrapper):
    """Server-side binding with psycopg's automatic preparation: PostgreSQL plans a frequent statement once."""
    assert wrapper.settings_dict["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}
    statement = "SELECT COUNT(*) FROM auth_user WHERE id > %s"
    with wrapper.cursor() as cursor:
        for n in range(7):
            cursor.execute(statement, [n])
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert prepared == ["SELECT COUNT(*) FROM auth_user WHERE id > $1"]
