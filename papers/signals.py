"""The papers app's signal, and the cache invalidation of the catalog pages (see papers.pages).

The receivers are connected in `PapersConfig.ready()`. They bump a content
version whenever something the cached pages show is saved or deleted;
`QuerySet.update()` and `bulk_create()` send no signals, so the code that
uses them on these models calls `catalog_changed()` itself.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal

from core.cache import bump_on_commit, on_m2m_write

# Sent after a learner ticks or unticks a checklist step: kwargs user, paper.
reading_progress_changed = Signal()


def catalog_changed() -> None:
    """Papers, categories, checklist steps or prerequisites changed."""
    from papers.pages import CATALOG

    bump_on_commit(CATALOG)


def ticks_changed(user) -> None:
    """The learner ticked or unticked a step: their cached ticks are stale."""
    from papers.pages import ticks_version

    bump_on_commit(ticks_version(user.pk))


def _catalog_saved_or_deleted(sender, **kwargs) -> None:
    catalog_changed()


def _quizzes_changed(sender, **kwargs) -> None:
    from papers.pages import PAPER_QUIZZES

    bump_on_commit(PAPER_QUIZZES)


def _terms_changed(sender, **kwargs) -> None:
    from papers.pages import PAPER_TERMS

    bump_on_commit(PAPER_TERMS)


_catalog_m2m_changed = on_m2m_write(lambda: _catalog_saved_or_deleted(None))
_terms_m2m_changed = on_m2m_write(lambda: _terms_changed(None))


def connect_cache_invalidation() -> None:
    from django.apps import apps

    from papers.models import Category, ChecklistStep, Paper

    quiz = apps.get_model("quizzes", "Quiz")
    term = apps.get_model("glossary", "Term")
    for signal in (post_save, post_delete):
        for model in (Paper, Category, ChecklistStep):
            signal.connect(_catalog_saved_or_deleted, sender=model, dispatch_uid=f"papers_cache_{model.__name__}")
        signal.connect(_quizzes_changed, sender=quiz, dispatch_uid="papers_cache_quiz")
        signal.connect(_terms_changed, sender=term, dispatch_uid="papers_cache_term")
    m2m_changed.connect(
        _catalog_m2m_changed, sender=Paper.prerequisites.through, dispatch_uid="papers_cache_prerequisites"
    )
    m2m_changed.connect(_terms_m2m_changed, sender=term.papers.through, dispatch_uid="papers_cache_term_papers")
