from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from papers.models import Paper
from quizzes.gift import GiftError, import_gift
from quizzes.models import Quiz


class Command(BaseCommand):
    help = (
        "Import questions from a Moodle GIFT file into a quiz. A malformed file imports nothing "
        "and names the line; matching/description questions are reported as skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a UTF-8 GIFT text file.")
        parser.add_argument("--quiz", required=True, help="Slug of the quiz to add the questions to.")
        parser.add_argument(
            "--paper",
            help="Create the quiz for this paper (slug) if it does not exist yet; its title is the quiz slug.",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Delete the quiz's questions first (refused once it has attempts)."
        )

    def handle(self, *args, file, quiz, paper=None, replace=False, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text.") from None

        target = Quiz.objects.filter(slug=quiz).first()
        if target is None:
            if not paper:
                raise CommandError(f"No quiz with slug {quiz!r}. Pass --paper SLUG to create it.")
            paper_obj = Paper.objects.filter(slug=paper).first()
            if paper_obj is None:
                raise CommandError(f"No paper with slug {paper!r}.")
            target = Quiz.objects.create(paper=paper_obj, slug=quiz, title=quiz)
            self.stdout.write(f"Created quiz {quiz!r} for paper {paper!r}.")

        try:
            result = import_gift(quiz=target, text=text, replace=replace)
        except GiftError as exc:
            raise CommandError(f"{path}: {exc} Nothing was imported.") from None
        for skipped in result.skipped:
            self.stderr.write(f"{path}:{skipped.line}: skipped {skipped.name or '(no name)'}: {skipped.reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(result.created)} question(s) into {target.slug!r}"
                + (f"; skipped {len(result.skipped)}." if result.skipped else ".")
            )
        )
