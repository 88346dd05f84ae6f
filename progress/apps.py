from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = _("학습 진도")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from glossary.signals import deck_changed
        from papers.models import ChecklistStep
        from papers.signals import reading_progress_changed
        from progress import receivers
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
