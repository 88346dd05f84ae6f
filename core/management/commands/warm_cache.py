"""Render the pages everyone shares into the cache, so the first readers after a deploy do not wait.

Fragment keys name the release (core.cache.release), so a deploy starts with
an empty cache for rendered HTML: without this, the first visitor of each
paper, term and quiz pays for rendering it, which is what a class of 200
opening the same quiz at 9:00 would meet. `make serve` runs it in the
background as the server starts; the benchmark runs it before measuring.
"""

import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError
from django.test import RequestFactory
from django.utils import translation


def cache_is_per_process() -> bool:
    """Without REDIS_URL the cache is local memory: what this command rendered would die with it."""
    return "locmem" in settings.CACHES["default"]["BACKEND"].lower()


class Command(BaseCommand):
    help = "Render the shared pages (paper list and pages, glossary, quiz questions) into the cache."

    def add_arguments(self, parser):
        parser.add_argument(
            "--languages",
            default=settings.LANGUAGE_CODE,
            help="Comma-separated language codes (default: %(default)s); 'all' for every language of the site.",
        )

    def handle(self, *args, languages: str, **options):
        from glossary.views import warm as warm_glossary
        from papers.pages import warm as warm_papers
        from quizzes.fragments import warm as warm_quizzes

        if cache_is_per_process():
            self.stdout.write("Nothing to warm: the cache is each process's own memory (set REDIS_URL).")
            return
        known = [code for code, _name in settings.LANGUAGES]
        codes = known if languages == "all" else [code.strip() for code in languages.split(",") if code.strip()]
        unknown = [code for code in codes if code not in known]
        if unknown or not codes:
            raise CommandError(f"unknown language {', '.join(unknown) or '(none)'}; choose from {', '.join(known)}")
        for code in codes:
            started = time.perf_counter()
            with translation.override(code):
                request = RequestFactory().get("/")
                request.user = AnonymousUser()
                request.LANGUAGE_CODE = code
                counts = {
                    "paper pages": warm_papers(request),
                    "glossary pages": warm_glossary(request),
                    "quizzes": warm_quizzes(),
                }
            summary = ", ".join(f"{count} {what}" for what, count in counts.items())
            self.stdout.write(f"[{code}] {summary} in {time.perf_counter() - started:.1f}s")
