import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.exporter import export_document
from papers.models import Paper


class Command(BaseCommand):
    help = "Write papers, their quizzes and glossary as one lesson document (docs/lesson-format.md)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--paper",
            action="append",
            dest="papers",
            metavar="SLUG",
            default=[],
            help="Only this paper (repeat for more). Default: every paper, with the reading method as section 1.",
        )
        parser.add_argument("--output", required=True, metavar="PATH", help="File to write; `-` for stdout.")

    def handle(self, *args, papers, output, **options):
        selected = None
        if papers:
            found = {p.slug: p for p in Paper.objects.filter(slug__in=papers)}
            missing = [slug for slug in papers if slug not in found]
            if missing:
                raise CommandError(f"no paper with slug: {', '.join(missing)}")
            selected = [found[slug] for slug in dict.fromkeys(papers)]
        text = export_document(papers=selected)
        if output == "-":
            sys.stdout.write(text)
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{output}: cannot write: {exc.strerror or exc}") from exc
        if options["verbosity"] >= 1:
            self.stdout.write(f"Wrote {output}")
