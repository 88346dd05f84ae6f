from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class GlossaryConfig(AppConfig):
    name = "glossary"
    verbose_name = _("Glossary")

    def ready(self):
        from core.markdown import register_postprocessor
        from glossary import linking

        register_postprocessor(linking.postprocess)
        post_delete.connect(_term_deleted, sender=self.get_model("Term"), dispatch_uid="glossary_term_deleted")


def _term_deleted(sender, instance, **kwargs):
    from glossary import linking

    linking.terms_changed()
