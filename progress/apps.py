from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = _("학습 진도")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from glossary.models import Term
        from glossary.signals import deck_changed
        from papers.models import Category, ChecklistStep, Paper
        from papers.signals import reading_progress_changed
        from progress import catalog, receivers
        from quizzes.models import Quiz
        from quizzes.signals import attempt_changed

        reading_progress_changed.connect(receivers.on_reading_progress_changed, dispatch_uid="progress_reading")
        attempt_changed.connect(receivers.on_attempt_changed, dispatch_uid="progress_attempt")
        deck_changed.connect(receivers.on_deck_changed, dispatch_uid="progress_deck")
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(receivers.on_quiz_saved_or_deleted, sender=Quiz, dispatch_uid=f"progress_quiz_{name}")
            signal.connect(
                receivers.on_checklist_step_saved_or_deleted, sender=ChecklistStep, dispatch_uid=f"progress_step_{name}"
            )
            # The shared catalog the progress pages cache (progress.catalog).
            for model in (Paper, Category, ChecklistStep, Quiz):
                signal.connect(
                    catalog.bump_catalog, sender=model, dispatch_uid=f"progress_catalog_{model.__name__}_{name}"
                )
        post_delete.connect(catalog.bump_terms, sender=Term, dispatch_uid="progress_terms_deleted")
        m2m_changed.connect(
            catalog.bump_catalog_on_m2m, sender=Paper.prerequisites.through, dispatch_uid="progress_catalog_prereqs"
        )
        m2m_changed.connect(catalog.bump_terms_on_m2m, sender=Term.papers.through, dispatch_uid="progress_terms_papers")
