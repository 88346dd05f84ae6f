"""A learner's deck of flashcards, scheduled with FSRS."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import fsrs
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from glossary import sql
from glossary.models import Card, ReviewLog, Term
from glossary.signals import deck_changed

RATINGS = {1: fsrs.Rating.Again, 2: fsrs.Rating.Hard, 3: fsrs.Rating.Good, 4: fsrs.Rating.Easy}


class StaleReview(Exception):
    """The card was reviewed by another request in the meantime (double submit)."""


def scheduler() -> fsrs.Scheduler:
    return fsrs.Scheduler(
        desired_retention=getattr(settings, "GLOSSARY_FSRS_DESIRED_RETENTION", 0.9),
        enable_fuzzing=getattr(settings, "GLOSSARY_FSRS_FUZZING", True),
    )


def utc_now() -> datetime:
    return timezone.now().astimezone(UTC)


def directions_for(term: Term) -> list[str]:
    directions = [Card.Direction.DEFINITION]
    if term.name_ko and term.name_en:
        directions += [Card.Direction.KO_EN, Card.Direction.EN_KO]
    return directions


def add_terms(*, user, terms: Iterable[Term], now: datetime | None = None) -> int:
    """Put the terms' cards in the user's deck (cards already there are kept); returns how many were new."""
    now = now or utc_now()
    initial = fsrs.Card(card_id=0, due=now).to_dict()
    terms = list(terms)
    existing = set(Card.objects.filter(user=user, term__in=terms).values_list("term_id", "direction"))
    cards = [
        Card(
            user=user,
            term=term,
            direction=direction,
            fsrs={**initial, "card_id": term.pk},
            due=now,
            state=int(fsrs.State.Learning),
        )
        for term in terms
        for direction in directions_for(term)
        if (term.pk, direction) not in existing
    ]
    Card.objects.bulk_create(cards, ignore_conflicts=True)
    if cards:
        transaction.on_commit(lambda: deck_changed.send(sender=Card, user=user))
    return len(cards)


def remove_term(*, user, term: Term) -> int:
    """Take all of a term's cards (and their reviews) out of the user's deck."""
    deleted = Card.objects.filter(user=user, term=term).delete()[1].get(Card._meta.label, 0)
    if deleted:
        transaction.on_commit(lambda: deck_changed.send(sender=Card, user=user))
    return deleted


def preview_intervals(*, card: Card, now: datetime | None = None) -> dict[int, datetime]:
    """When the card would be due again after each rating (no database access)."""
    now = now or utc_now()
    sched = scheduler()
    state = fsrs.Card.from_dict(card.fsrs)
    return {value: sched.review_card(state, rating, review_datetime=now)[0].due for value, rating in RATINGS.items()}


def review(*, card: Card, rating: int, expected_reps: int | None = None, now: datetime | None = None) -> ReviewLog:
    """Apply an FSRS review to the card and log it.

    `expected_reps` is the review count the learner saw; if the card has moved
    on since (a double submit), `StaleReview` is raised and nothing changes.
    """
    if rating not in RATINGS:
        raise ValueError(f"rating must be 1–4, not {rating!r}")
    now = now or utc_now()
    before = fsrs.Card.from_dict(card.fsrs) if card.fsrs else fsrs.Card(card_id=card.term_id, due=card.due)
    after, log = scheduler().review_card(before, RATINGS[rating], review_datetime=now)
    reps = card.reps if expected_reps is None else expected_reps
    rated = {"fsrs": after.to_dict(), "due": after.due, "state": int(after.state), "reps": reps + 1, "last_review": now}
    entry = ReviewLog(
        card=card,
        user_id=card.user_id,
        rating=rating,
        reviewed_at=now,
        due_before=card.due,
        due_after=after.due,
        log=log.to_dict(),
    )
    with transaction.atomic():
        if not sql.rate_card(card_id=card.pk, seen_reps=reps, values=rated):
            raise StaleReview
        sql.insert_review(entry)
        user = card.user
        transaction.on_commit(lambda: deck_changed.send(sender=Card, user=user))
    for name, value in rated.items():
        setattr(card, name, value)
    return entry
