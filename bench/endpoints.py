"""The endpoints the benchmark measures, their targets and the mixed workload (no Django needed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    name: str
    label: str
    group: str  # "bare" (reference rows, no target), "page", "action" (POST), "submit"
    consumes: bool = False  # every request uses up a row (a start, a submit, a rating)
    ratio_target: float | None = None  # share of the bare view's throughput
    p95_target_ms: float = 100.0


ENDPOINTS = [
    Endpoint("bare", "bare HttpResponse view", "bare"),
    Endpoint("floor", "signed-in empty page: session, user, base.html", "bare"),
    Endpoint("paper_list", "browse papers", "page", ratio_target=0.30),
    Endpoint("paper_detail", "open a paper", "page", ratio_target=0.30),
    Endpoint("step_tick", "tick a checklist step", "action"),
    Endpoint("quiz_detail", "quiz page (before starting)", "page"),
    Endpoint("quiz_start", "start a quiz", "action", consumes=True),
    Endpoint("attempt_page", "quiz page (taking)", "page", ratio_target=0.20),
    Endpoint("autosave", "autosave an answer", "action", ratio_target=0.20),
    Endpoint("submit", "submit an attempt", "submit", consumes=True, p95_target_ms=150.0),
    Endpoint("glossary", "glossary index", "page", ratio_target=0.30),
    Endpoint("glossary_search", "glossary search (htmx)", "page", ratio_target=0.30),
    Endpoint("term_detail", "open a term", "page"),
    Endpoint("review", "flashcard review page", "page"),
    Endpoint("review_rate", "rate a flashcard", "action", consumes=True),
    Endpoint("dashboard", "learner dashboard", "page"),
]
BY_NAME = {e.name: e for e in ENDPOINTS}

# A learner's session on the site: reading, quizzing, glossary and flashcards.
MIX = {
    "paper_list": 8,
    "paper_detail": 12,
    "step_tick": 10,
    "quiz_detail": 5,
    "quiz_start": 3,
    "attempt_page": 8,
    "autosave": 25,
    "submit": 3,
    "glossary": 2,
    "glossary_search": 6,
    "term_detail": 4,
    "review": 4,
    "review_rate": 5,
    "dashboard": 5,
}
