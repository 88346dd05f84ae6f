"""Stored progress under concurrent requests. Needs PostgreSQL: SQLite serializes writers anyway.

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (CI does).
"""

import itertools
import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connections

from papers.models import ChecklistStep, StepProgress
from progress import tracking
from progress.models import PaperProgress
from tests.factories import make_paper, make_user

THREADS = 8

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(targets):
    """Run each callable in its own thread (and database connection), all at once."""
    barrier = threading.Barrier(len(targets))
    errors = []
    lock = threading.Lock()

    def worker(target):
        try:
            barrier.wait(timeout=10)
            target()
        except Exception as exc:  # surfaced below; a thread cannot fail the test itself
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.fixture
def slow_refresh(monkeypatch):
    """Make the earliest reads write last: each thread's first refresh waits between its read and its write,
    the earlier it read, the longer. Without protection the final row would then be a stale one.

    Returns the outcomes of the row writes (False: refused because the row
    changed since it was read, then read again).
    """
    original_compute, original_write = tracking._computed_row, tracking._write_row
    state = threading.local()
    lock = threading.Lock()
    readers = itertools.count()
    outcomes = []

    def compute(**kwargs):
        row = original_compute(**kwargs)
        if not getattr(state, "slowed", False):
            state.slowed = True
            with lock:
                order = next(readers) % THREADS
            time.sleep(0.03 * (THREADS - order))
        return row

    def write(row, stored):
        written = original_write(row, stored)
        with lock:
            outcomes.append(written)
        return written

    monkeypatch.setattr(tracking, "_computed_row", compute)
    monkeypatch.setattr(tracking, "_write_row", write)
    return outcomes


def test_simultaneous_ticks_end_with_the_right_count(slow_refresh):
    """Eight steps ticked (then unticked) at once by one learner: the stored row counts every one."""
    user = make_user()
    paper = make_paper(steps=THREADS)
    step_ids = list(paper.checklist_steps.values_list("pk", flat=True))

    def toggle(step_id, done):
        return lambda: ChecklistStep.objects.get(pk=step_id).set_done(User.objects.get(pk=user.pk), done)

    for done, expected in ((True, THREADS), (False, 0), (True, THREADS)):
        run_in_threads([toggle(step_id, done) for step_id in step_ids])
        assert StepProgress.objects.filter(user=user).count() == expected
        row = PaperProgress.objects.get(user=user, paper=paper)
        assert (row.steps_done, row.steps_total) == (expected, THREADS)
        assert row.status == (PaperProgress.Status.COMPLETED if expected else PaperProgress.Status.NOT_STARTED)
    assert False in slow_refresh  # stale writes happened and were refused
