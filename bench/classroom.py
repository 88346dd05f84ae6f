"""A class starts the quiz: N learners start the same quiz within a few seconds, autosave, submit together.

    python -m bench.classroom --base-url http://127.0.0.1:8000 [--learners 200] [--spread 3]

Runs with the server's environment (same database): it picks the quiz and
learners, signs every learner in through the real sign-in form, drives
them over HTTP from one thread each, then compares what was sent with what
the database stored. A quarter of the learners double-click "start" and
"submit" (two requests at once). Prints errors, lost answers and duplicate
attempts, which must all be 0; exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bench.browser import Browser

_ATTEMPT_URL = re.compile(r"/quizzes/attempts/(\d+)/$")


@dataclass
class Outcome:
    username: str
    errors: list[str] = field(default_factory=list)
    attempt_ids: set[int] = field(default_factory=set)
    sent: dict[int, list[str]] = field(default_factory=dict)  # question id → final values posted
    timings: dict[str, list[float]] = field(default_factory=dict)

    def timed(self, name: str, started: float) -> None:
        self.timings.setdefault(name, []).append(time.perf_counter() - started)


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def pick(*, learners: int, seed: int):
    """A published quiz and learners who never attempted it."""
    from django.contrib.auth import get_user_model

    from bench import loaddata
    from bench.workload import _alternatives
    from quizzes.models import Answer, Attempt, Question, Quiz

    rng = random.Random(seed)
    quizzes = list(Quiz.objects.published().filter(slug__startswith=loaddata.PREFIX).order_by("slug"))
    if not quizzes:
        raise SystemExit("No generated quizzes: run `manage.py generate_load_data` first.")
    quiz = rng.choice(quizzes)
    users = list(
        get_user_model()
        .objects.filter(username__startswith=loaddata.LEARNER_PREFIX, is_active=True)
        .exclude(quiz_attempts__quiz=quiz)
        .order_by("username")
        .values_list("username", flat=True)
    )
    if len(users) < learners:
        raise SystemExit(f"Only {len(users)} learners without an attempt on {quiz.slug}; need {learners}.")
    questions = list(Question.objects.filter(quiz=quiz).order_by("order", "pk"))
    answers: dict[int, list] = {}
    for answer in Answer.objects.filter(question__quiz=quiz).order_by("order", "pk"):
        answers.setdefault(answer.question_id, []).append(answer)
    plan = [(q.pk, q.is_choice, _alternatives(q, answers.get(q.pk, []))) for q in questions]
    assert not Attempt.objects.filter(quiz=quiz, user__username__in=users[:learners]).exists()
    return quiz, sorted(rng.sample(users, learners)), plan


def learner_run(
    browser: Browser,
    outcome: Outcome,
    *,
    quiz_slug: str,
    plan,
    rng: random.Random,
    spread: float,
    bell: float,
    submit_barrier: threading.Barrier,
    pool: ThreadPoolExecutor,
) -> None:
    double_click = rng.random() < 0.25

    def check(page, expected: tuple[int, ...], what: str) -> bool:
        if page.status not in expected:
            outcome.errors.append(f"{what}: HTTP {page.status}")
            return False
        return True

    try:
        time.sleep(max(0.0, bell - time.time() + rng.uniform(0, spread)))
        started = time.perf_counter()
        check(browser.get(f"/quizzes/{quiz_slug}/"), (200,), "quiz page")
        outcome.timed("quiz page", started)

        started = time.perf_counter()
        start_path = f"/quizzes/{quiz_slug}/start/"
        if double_click:
            twin = Browser(browser.base_url, dict(browser.cookies))
            other = pool.submit(twin.post, start_path)
            pages = [browser.post(start_path), other.result()]
        else:
            pages = [browser.post(start_path)]
        outcome.timed("start", started)
        for page in pages:
            if check(page, (302,), "start") and (match := _ATTEMPT_URL.search(page.location)):
                outcome.attempt_ids.add(int(match.group(1)))
        if len(outcome.attempt_ids) != 1:
            outcome.errors.append(f"start: {len(outcome.attempt_ids)} attempts for one learner")
            return
        attempt_id = next(iter(outcome.attempt_ids))
        attempt_path = f"/quizzes/attempts/{attempt_id}/"

        started = time.perf_counter()
        check(browser.get(attempt_path), (200,), "attempt page")
        outcome.timed("attempt page", started)

        # Answer every question; change a few answers once more (as learners do).
        sequence: dict[int, int] = {}
        for round_ in range(2):
            for question_id, _is_choice, alternatives in plan:
                if round_ == 1 and rng.random() < 0.6:
                    continue
                values = alternatives[round_ % 2]
                seq = sequence.get(question_id, 0)
                data = {f"q-{question_id}": values, f"seq-{question_id}": str(seq)}
                started = time.perf_counter()
                page = browser.post(f"{attempt_path}questions/{question_id}/save/", data, htmx=True)
                outcome.timed("autosave", started)
                if check(page, (200,), f"autosave q{question_id}"):
                    sequence[question_id] = seq + 1
                    outcome.sent[question_id] = values
                time.sleep(rng.uniform(0.05, 0.3))  # thinking
    finally:
        submit_barrier.wait()  # the teacher says "submit now"

    if len(outcome.attempt_ids) != 1:
        return
    attempt_path = f"/quizzes/attempts/{next(iter(outcome.attempt_ids))}/"
    started = time.perf_counter()
    submit_path = f"{attempt_path}submit/confirm/"
    if double_click:
        twin = Browser(browser.base_url, dict(browser.cookies))
        other = pool.submit(twin.post, submit_path)
        pages = [browser.post(submit_path), other.result()]
    else:
        pages = [browser.post(submit_path)]
    outcome.timed("submit", started)
    for page in pages:
        check(page, (302,), "submit")
    check(browser.get(attempt_path), (200,), "review page")


def verify(quiz, outcomes: list[Outcome], plan) -> dict:
    """Compare what the learners sent with what the database stored."""
    from quizzes.models import Attempt, Response

    choice = {question_id for question_id, is_choice, _a in plan if is_choice}
    usernames = [o.username for o in outcomes]
    attempts: dict[str, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(quiz=quiz, user__username__in=usernames).select_related("user"):
        attempts.setdefault(attempt.user.username, []).append(attempt)
    stored: dict[int, dict[int, Response]] = {}
    for response in Response.objects.filter(attempt__in=[a for items in attempts.values() for a in items]):
        stored.setdefault(response.attempt_id, {})[response.question_id] = response

    sent = lost = duplicates = unsubmitted = 0
    for outcome in outcomes:
        mine = attempts.get(outcome.username, [])
        duplicates += max(0, len(mine) - 1)
        if not mine:
            lost += len(outcome.sent)
            sent += len(outcome.sent)
            continue
        attempt = mine[0]
        if attempt.state != Attempt.State.FINISHED:
            unsubmitted += 1
        for question_id, values in outcome.sent.items():
            sent += 1
            row = stored.get(attempt.pk, {}).get(question_id)
            if row is None:
                lost += 1
            elif question_id in choice:
                lost += sorted(row.selected) != sorted(int(v) for v in values)
            else:
                lost += row.text != "".join(values)
    return {"answers_sent": sent, "lost_answers": lost, "duplicate_attempts": duplicates, "unsubmitted": unsubmitted}


def run(*, base_url: str, learners: int, spread: float, seed: int, sign_in_threads: int = 16) -> dict:
    from bench import loaddata

    quiz, usernames, plan = pick(learners=learners, seed=seed)
    rng = random.Random(seed)

    # Before the bell: everybody signs in through the sign-in form.
    browsers = {name: Browser(base_url) for name in usernames}
    sign_in_errors = []
    started = time.perf_counter()
    with ThreadPoolExecutor(sign_in_threads) as pool:
        pages = list(pool.map(lambda n: browsers[n].sign_in(n, loaddata.LEARNER_PASSWORD), usernames))
    for name, page in zip(usernames, pages, strict=True):
        if page.status != 302 or "sessionid" not in browsers[name].cookies:
            sign_in_errors.append(f"{name}: sign-in HTTP {page.status}")
    sign_in_seconds = time.perf_counter() - started

    outcomes = [Outcome(name) for name in usernames]
    barrier = threading.Barrier(len(usernames), timeout=300)
    bell = time.time() + 1.0
    started = time.perf_counter()
    with ThreadPoolExecutor(len(usernames) * 2) as helpers, ThreadPoolExecutor(len(usernames)) as pool:
        futures = [
            pool.submit(
                learner_run,
                browsers[outcome.username],
                outcome,
                quiz_slug=quiz.slug,
                plan=plan,
                rng=random.Random(rng.random()),
                spread=spread,
                bell=bell,
                submit_barrier=barrier,
                pool=helpers,
            )
            for outcome in outcomes
        ]
        for future, outcome in zip(futures, outcomes, strict=True):
            try:
                future.result()
            except Exception as exc:  # a crashed learner is an error, not a crashed scenario
                outcome.errors.append(f"{type(exc).__name__}: {exc}")
    wall = time.perf_counter() - started

    checked = verify(quiz, outcomes, plan)
    errors = sign_in_errors + [f"{o.username}: {e}" for o in outcomes for e in o.errors]
    timings = {}
    for name in ("quiz page", "start", "attempt page", "autosave", "submit"):
        values = [v for o in outcomes for v in o.timings.get(name, [])]
        timings[name] = {
            "count": len(values),
            "p50_ms": round(_percentile(values, 50) * 1000, 1),
            "p95_ms": round(_percentile(values, 95) * 1000, 1),
            "max_ms": round(max(values, default=0) * 1000, 1),
        }
    return {
        "quiz": quiz.slug,
        "learners": len(usernames),
        "questions": len(plan),
        "spread_seconds": spread,
        "sign_in_seconds": round(sign_in_seconds, 1),
        "scenario_seconds": round(wall, 1),
        "errors": len(errors),
        "error_samples": errors[:10],
        **checked,
        "timings": timings,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.classroom")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--spread", type=float, default=3.0, help="Seconds over which the learners start.")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--json", help="Write the result here too.")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    result = run(base_url=args.base_url, learners=args.learners, spread=args.spread, seed=args.seed)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)
    print(format_result(result))
    ok = result["errors"] == 0 and result["lost_answers"] == 0 and result["duplicate_attempts"] == 0
    return 0 if ok and not result["unsubmitted"] else 1


def format_result(result: dict) -> str:
    lines = [
        f"Class scenario: {result['learners']} learners, quiz {result['quiz']} ({result['questions']} questions), "
        f"started within {result['spread_seconds']:g}s; sign-in {result['sign_in_seconds']}s, "
        f"scenario {result['scenario_seconds']}s",
        f"  errors {result['errors']} · lost answers {result['lost_answers']} of {result['answers_sent']} · "
        f"duplicate attempts {result['duplicate_attempts']} · not submitted {result['unsubmitted']}",
    ]
    for name, t in result["timings"].items():
        lines.append(
            f"  {name:<13} n={t['count']:<5} p50 {t['p50_ms']:>7} ms  p95 {t['p95_ms']:>7} ms  max {t['max_ms']:>7} ms"
        )
    for sample in result["error_samples"]:
        lines.append(f"  ! {sample}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
