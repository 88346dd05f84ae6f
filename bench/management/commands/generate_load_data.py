"""`manage.py generate_load_data --learners N --papers N --terms N --attempts N [--seed S]`."""

import time
from datetime import datetime

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from bench import loaddata


class Command(BaseCommand):
    help = "Bulk-insert a large, realistic, deterministic data set for load tests (rows prefixed 'load-')."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=200, help="Learner accounts (default 200).")
        parser.add_argument(
            "--papers", type=int, default=50, help="Papers, each with a checklist and a quiz (default 50)."
        )
        parser.add_argument("--terms", type=int, default=500, help="Glossary terms (default 500).")
        parser.add_argument("--attempts", type=int, default=5000, help="Quiz attempts with responses (default 5000).")
        parser.add_argument("--cards-per-learner", type=int, default=20, help="Flashcards in each learner's deck.")
        parser.add_argument("--seed", type=int, default=0, help="Random seed: the same seed gives the same rows.")
        parser.add_argument("--now", help="ISO time the data is anchored to (default: now).")
        parser.add_argument(
            "--replace", action="store_true", help="Delete previously generated rows first (else refuse if present)."
        )
        parser.add_argument("--checksum", action="store_true", help="Print a checksum of the generated rows.")

    def handle(self, *args, **options):
        for name in ("learners", "papers", "terms", "attempts", "cards_per_learner"):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} must be 0 or more.")
        if options["attempts"] and not (options["learners"] and options["papers"]):
            raise CommandError("--attempts needs at least one learner and one paper.")
        now = None
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from None
            if now.tzinfo is None:
                raise CommandError("--now needs a time zone, e.g. 2025-03-02T09:00:00+09:00.")
        if loaddata.has_generated():
            if not options["replace"]:
                raise CommandError("Generated rows already exist: pass --replace to delete them first.")
            started = time.perf_counter()
            loaddata.delete_generated()
            self.stdout.write(f"Deleted the previous load data in {time.perf_counter() - started:.1f}s.")

        sizes = loaddata.Sizes(
            learners=options["learners"],
            papers=options["papers"],
            terms=options["terms"],
            attempts=options["attempts"],
            cards_per_learner=options["cards_per_learner"],
        )
        verbose = options["verbosity"] > 1
        started = time.perf_counter()
        result = loaddata.generate(
            sizes=sizes, seed=options["seed"], now=now, log=self.stdout.write if verbose else (lambda message: None)
        )
        elapsed = time.perf_counter() - started
        # Bulk inserts send no signals, so no cache version was bumped: drop what pages
        # cached from the rows before (sessions fall back to the database).
        cache.clear()
        counts = ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Generated in {elapsed:.1f}s: {counts}."))
        self.stdout.write(
            f"Learners sign in as {loaddata.LEARNER_PREFIX}00001… with password {loaddata.LEARNER_PASSWORD!r}."
        )
        if options["checksum"]:
            self.stdout.write(f"checksum {loaddata.checksum()}")
