from pathlib import Path

from lessons.importer import import_sources
from lessons.management.base import LessonCommand
from lessons.models import ImportLog
from lessons.parser import LessonError


class Command(LessonCommand):
    help = (
        "Import lesson documents (docs/lesson-format.md): papers, quizzes, glossary. "
        "All documents in one transaction; importing again updates and never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Markdown lesson document(s).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be created/updated/unchanged; change nothing."
        )

    def handle(self, *args, paths, dry_run=False, **options):
        sources = []
        for path in paths:
            try:
                sources.append((path, Path(path).read_bytes()))
            except OSError as exc:
                self.fail(LessonError(path, 1, f"cannot read the file: {exc.strerror or exc}"))
        try:
            summaries = import_sources(sources, dry_run=dry_run, origin=ImportLog.Origin.COMMAND)
        except LessonError as err:
            self.fail(err)
        for summary in summaries:
            self.stdout.write(summary.table())
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
