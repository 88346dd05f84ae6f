from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = _("Papers")

    def ready(self):
        from papers import pages  # noqa: F401 (registers the versions read with the session)
        from papers.signals import connect_cache_invalidation

        connect_cache_invalidation()
