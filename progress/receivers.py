"""Keep stored progress in step with reading, quizzes and flashcards.

Connected in `ProgressConfig.ready()`. A failure here is logged and never
breaks the learner's request: `rebuild_progress` can always recompute.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from progress.models import Activity
from progress.tracking import (
    rebuild_paper_progress,
    record_activity,
    record_flashcard_activity,
    refresh_paper_progress,
)

logger = logging.getLogger(__name__)

# An attempt_changed for an attempt submitted longer ago than this is a
# grader's or a regrade's doing, not the learner's study.
LATE_GRADING_AFTER = timedelta(minutes=10)


def _isolated():
    """A savepoint when the sender is inside a transaction, so that a failure here cannot break it.

    In autocommit mode (how the views send these signals) every statement
    stands alone and a failed one leaves nothing behind, so no BEGIN/COMMIT
    round trips are spent.
    """
    if transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return nullcontext()


def _log_completion(user, row) -> None:
    if getattr(row, "became_completed", False):
        record_activity(user=user, kind=Activity.Kind.COMPLETED, paper_id=row.paper_id, merge=False)


def on_reading_progress_changed(sender, *, user, paper, **kwargs) -> None:
    try:
        with _isolated():
            row = refresh_paper_progress(user=user, paper_id=paper.pk, activity_at=timezone.now())
            record_activity(
                user=user,
                kind=Activity.Kind.READING,
                paper_id=paper.pk,
                detail=f"{row.steps_done}/{row.steps_total}",
                latest=row.latest_activity,
            )
            _log_completion(user, row)
    except Exception:
        logger.exception("progress: could not refresh reading progress (user=%s paper=%s)", user.pk, paper.pk)


def on_attempt_changed(sender, *, attempt, **kwargs) -> None:
    from quizzes.models import Attempt

    user, quiz = attempt.user, attempt.quiz
    now = timezone.now()
    late = attempt.submitted_at is not None and now - attempt.submitted_at > LATE_GRADING_AFTER
    try:
        with _isolated():
            row = refresh_paper_progress(user=user, paper_id=quiz.paper_id, activity_at=None if late else now)
            if attempt.state == Attempt.State.IN_PROGRESS:
                kind, detail = Activity.Kind.QUIZ_STARTED, quiz.title
            elif attempt.state == Attempt.State.FINISHED:
                graded = not attempt.needs_grading and attempt.grade is not None
                detail = f"{quiz.title} · {attempt.grade:.0f}%" if graded else quiz.title
                kind = Activity.Kind.QUIZ_GRADED if late else Activity.Kind.QUIZ_SUBMITTED
            else:
                kind = None
            if kind is not None:
                record_activity(user=user, kind=kind, paper_id=quiz.paper_id, detail=detail, latest=row.latest_activity)
            _log_completion(user, row)
    except Exception:
        logger.exception("progress: could not refresh quiz progress (attempt=%s)", attempt.pk)


def on_deck_changed(sender, *, user, **kwargs) -> None:
    try:
        with _isolated():
            record_flashcard_activity(user=user)
    except Exception:
        logger.exception("progress: could not record flashcard activity (user=%s)", user.pk)


def _schedule_rebuild(paper_id: int) -> None:
    """Rebuild a paper's rows once, after the transaction that changed it commits."""
    connection = transaction.get_connection()
    for entry in getattr(connection, "run_on_commit", []):
        if getattr(entry[1], "progress_paper_id", None) == paper_id:
            return  # an admin inline saving seven steps rebuilds once

    def run():
        from papers.models import Paper

        paper = Paper.objects.filter(pk=paper_id).first()
        if paper is None:
            return
        try:
            rebuild_paper_progress(paper=paper)
        except Exception:
            logger.exception("progress: could not rebuild progress of paper %s", paper_id)

    run.progress_paper_id = paper_id
    transaction.on_commit(run)


def on_quiz_saved_or_deleted(sender, *, instance, **kwargs) -> None:
    """Pass mark, grading method or publishing changed: grades may change."""
    if kwargs.get("raw"):
        return
    _schedule_rebuild(instance.paper_id)


def on_checklist_step_saved_or_deleted(sender, *, instance, **kwargs) -> None:
    """A step added or removed changes everyone's steps x/y."""
    if kwargs.get("raw") or (kwargs.get("created") is False):
        return
    _schedule_rebuild(instance.paper_id)
