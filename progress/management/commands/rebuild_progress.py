from django.core.management.base import BaseCommand

from papers.models import Paper
from progress.tracking import rebuild_paper_progress


class Command(BaseCommand):
    help = "Recompute every learner's stored paper progress from ticked steps and quiz attempts."

    def add_arguments(self, parser):
        parser.add_argument("--paper", action="append", default=[], help="Only this paper slug (repeatable).")

    def handle(self, *args, paper, **options):
        papers = Paper.objects.order_by("pk")
        if paper:
            papers = papers.filter(slug__in=paper)
            missing = set(paper) - set(papers.values_list("slug", flat=True))
            if missing:
                self.stderr.write(self.style.WARNING(f"Unknown paper slug(s): {', '.join(sorted(missing))}"))
        total = 0
        for item in papers:
            written = rebuild_paper_progress(paper=item)
            total += written
            if options["verbosity"] >= 2:
                self.stdout.write(f"{item.slug}: {written} rows")
        self.stdout.write(self.style.SUCCESS(f"Recomputed {total} progress rows."))
