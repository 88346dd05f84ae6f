from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class GlossaryConfig(AppConfig):
    name = "glossary"
    verbose_name = _("Glossary")

    def ready(self):
        from core.markdown import register_postprocessor
        from glossary import caching, linking
        from papers.models import Category, Paper

        register_postprocessor(linking.postprocess)
        term = self.get_model("Term")
        post_delete.connect(_term_deleted, sender=term, dispatch_uid="glossary_term_deleted")
        # What the cached glossary pages show besides the terms themselves (see glossary.caching).
        for through in (term.papers.through, term.related.through):
            m2m_changed.connect(caching.on_links_changed, sender=through, dispatch_uid=f"glossary_cache_{through}")
        for model in (Paper, Category):
            for signal in (post_save, post_delete):
                signal.connect(caching.on_saved_or_deleted, sender=model, dispatch_uid=f"glossary_cache_{model}")


def _term_deleted(sender, instance, **kwargs):
    from glossary import linking

    linking.terms_changed()
