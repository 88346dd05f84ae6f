"""Two app servers, one PostgreSQL and one Redis: a learner moves from one to the other mid-quiz.

The app keeps no state in a process (sessions in cache + database), so a
learner who signs in and starts answering on server A carries on and
submits on server B, even after A has gone away.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection

from bench.browser import Browser
from quizzes.models import Attempt, Response
from tests.factories import make_quiz, make_user

ROOT = Path(__file__).resolve().parents[2]
REDIS_DEFAULT = "redis://127.0.0.1:6379/13"
PASSWORD = "scale-out-password-1"  # noqa: S105

pytestmark = pytest.mark.postgres


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL") or REDIS_DEFAULT
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        pytest.skip(f"needs Redis at {url} ({type(exc).__name__}); set REDIS_URL or start redis-server")
    return url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start(port: int, env: dict, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    cmd = [str(gunicorn), "-c", "config/gunicorn.py", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    cmd += ["--workers", "1"]  # the production configuration, one process per server
    return subprocess.Popen(  # noqa: S603
        [*cmd, "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server on {port} exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"server on {port} did not answer:\n{log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=_redis_url(),
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_CACHE_PREFIX=f"scaleout-{secrets.token_hex(4)}",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_DEBUG="1",  # production static files need collectstatic; statelessness does not depend on it
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_REQUEST_LOG="0",
        DJANGO_CONN_MAX_AGE="0",  # no connection left open on the test database when the test ends
    )
    servers = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = tmp_path / f"server-{name}.log"
            servers.append((port, _start(port, env, log), log))
        for port, proc, log in servers:
            _wait(port, proc, log)
        yield [(f"http://127.0.0.1:{port}", proc) for port, proc, _log in servers]
    finally:
        for _port, proc, _log in servers:
            _stop(proc)


def test_learner_signs_in_on_one_server_and_submits_on_the_other(two_servers):
    (server_a, proc_a), (server_b, _proc_b) = two_servers
    learner = make_user(username="scaleout")
    hasher = Argon2PasswordHasher()  # one the servers accept (the tests' own hasher is MD5)
    learner.password = hasher.encode(PASSWORD, hasher.salt())
    learner.save(update_fields=["password"])
    quiz = make_quiz(questions=3, qtype="single")
    questions = list(quiz.questions.order_by("order").prefetch_related("answers"))
    right = {q.pk: q.answers.order_by("order")[0].pk for q in questions}

    browser = Browser(server_a)
    signed_in = browser.sign_in("scaleout", PASSWORD)
    assert signed_in.status == 302, signed_in.body[:500]
    assert "sessionid" in browser.cookies

    started = browser.post(f"/quizzes/{quiz.slug}/start/")
    assert started.status == 302 and "/quizzes/attempts/" in started.location
    attempt_path = started.location.removeprefix(server_a)
    first = questions[0]
    saved = browser.post(
        f"{attempt_path}questions/{first.pk}/save/", {f"q-{first.pk}": right[first.pk], f"seq-{first.pk}": 0}, htmx=True
    )
    assert saved.status == 200

    _stop(proc_a)  # server A goes away; the session lives in Redis and PostgreSQL

    page = browser.get(attempt_path, base_url=server_b)
    assert page.status == 200
    assert f'value="{right[first.pk]}" checked' in page.body  # B shows what A saved
    for question in questions[1:]:
        saved = browser.post(
            f"{attempt_path}questions/{question.pk}/save/",
            {f"q-{question.pk}": right[question.pk], f"seq-{question.pk}": 0},
            htmx=True,
            base_url=server_b,
        )
        assert saved.status == 200
    submitted = browser.post(f"{attempt_path}submit/confirm/", base_url=server_b)
    assert submitted.status == 302
    assert browser.get(attempt_path, base_url=server_b).status == 200

    attempt = Attempt.objects.get(quiz=quiz, user=learner)
    assert attempt.state == Attempt.State.FINISHED
    stored = dict(Response.objects.filter(attempt=attempt).values_list("question_id", "selected"))
    assert stored == {q.pk: [right[q.pk]] for q in questions}
    assert attempt.grade == 100
