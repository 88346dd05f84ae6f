from pathlib import Path

from django.apps import apps
from django.conf import settings

from glossary.linking import relinking_paused
from lessons.importer import content_hash, import_sources
from lessons.management.base import LessonCommand
from lessons.models import ImportLog
from lessons.parser import LessonError


def content_dir() -> Path:
    return Path(apps.get_app_config("lessons").path) / "content"


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)


class Command(LessonCommand):
    help = (
        "Import every lessons/content/*.md in name order, one transaction each. "
        "Documents unchanged since their last import are skipped, so this is fast on every start."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Import even the documents that did not change.")

    def handle(self, *args, force=False, verbosity=1, **options):
        paths = sorted(content_dir().glob("*.md"))
        pending = []
        for path in paths:
            data = path.read_bytes()
            if force or ImportLog.objects.last_sha256(path.name) != content_hash(data):
                pending.append((display_path(path), data))
        imported, errors = [], []
        if pending:
            # One transaction per document; content is re-linked to the glossary once, at the end.
            with relinking_paused():
                for name, data in pending:
                    try:
                        imported += import_sources([(name, data)], origin=ImportLog.Origin.BUNDLED)
                    except LessonError as err:
                        errors.append(err)
        if verbosity >= 2:
            for summary in imported:
                self.stdout.write(summary.table())
        skipped = len(paths) - len(pending)
        line = f"Bundled lesson documents: {len(imported)} imported, {skipped} unchanged"
        if errors:
            self.fail(errors, summary=f"{line}, {len(errors)} failed.")
        if verbosity >= 1:
            self.stdout.write(f"{line}.")
