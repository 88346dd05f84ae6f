from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from glossary import flashcards
from glossary.models import Card, ReviewLog
from glossary.signals import deck_changed
from tests.factories import make_paper, make_term, make_terms_bulk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fuzz(settings):
    settings.GLOSSARY_FSRS_FUZZING = False


@pytest.fixture
def paper_terms():
    paper = make_paper(title="Attention Is All You Need", slug="transformer")
    return paper, [
        make_term(name_ko="셀프 어텐션", name_en="Self-Attention", slug="self-attention", papers=[paper]),
        make_term(name_en="Dropout", slug="dropout", papers=[paper]),
    ]


HTMX = {"HX-Request": "true"}


def rate_url(card):
    return reverse("glossary:review_rate", args=[card.pk])


# --- deck ---------------------------------------------------------------------


def test_adding_a_paper_creates_cards_both_ways(learner_client, learner, paper_terms):
    response = learner_client.post(reverse("glossary:deck_add_paper", args=["transformer"]))
    assert response.status_code == 302
    cards = Card.objects.filter(user=learner)
    assert sorted(cards.values_list("term__slug", "direction")) == [
        ("dropout", "definition"),
        ("self-attention", "definition"),
        ("self-attention", "en_ko"),
        ("self-attention", "ko_en"),
    ]
    card = cards.first()
    assert card.due <= timezone.now() and card.fsrs["state"] == 1 and card.fsrs["stability"] is None
    # Adding again keeps the cards (and their schedule).
    learner_client.post(reverse("glossary:deck_add_paper", args=["transformer"]))
    assert Card.objects.filter(user=learner).count() == 4


def test_add_and_remove_a_single_term(learner_client, learner, paper_terms):
    url = reverse("glossary:deck_add_term", args=["dropout"])
    response = learner_client.post(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="deck-button"')
    assert reverse("glossary:deck_remove_term", args=["dropout"]) in html
    assert "deckChanged" in response["HX-Trigger"]
    assert Card.objects.filter(user=learner).count() == 1

    response = learner_client.post(reverse("glossary:deck_remove_term", args=["dropout"]))
    assert response.status_code == 302 and response["Location"] == "/glossary/dropout/"
    assert not Card.objects.filter(user=learner).exists()


def test_next_parameter_must_be_local(learner_client, paper_terms):
    response = learner_client.post(
        reverse("glossary:deck_add_term", args=["dropout"]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/glossary/dropout/"
    response = learner_client.post(reverse("glossary:deck_add_term", args=["dropout"]), {"next": "/glossary/deck/"})
    assert response["Location"] == "/glossary/deck/"


def test_deck_changes_send_the_signal(learner, paper_terms, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, user, **kwargs):
        received.append(user)

    deck_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            flashcards.add_terms(user=learner, terms=paper_terms[1])
        card = Card.objects.filter(user=learner).first()
        with django_capture_on_commit_callbacks(execute=True):
            flashcards.review(card=card, rating=3)
    finally:
        deck_changed.disconnect(receiver)
    assert received == [learner, learner]


def test_anonymous_users_are_sent_to_sign_in(client, paper_terms):
    response = client.post(reverse("glossary:deck_add_term", args=["dropout"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("glossary:deck_add_term", args=["dropout"]), headers={"HX-Request": "true"})
    assert "/accounts/login/" in response["HX-Redirect"]
    assert client.get(reverse("glossary:review")).status_code == 302
    assert not Card.objects.exists()


def test_deck_endpoints_need_post(learner_client, paper_terms):
    assert learner_client.get(reverse("glossary:deck_add_term", args=["dropout"])).status_code == 405


def test_csrf_is_enforced(learner, paper_terms):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert client.post(reverse("glossary:deck_add_term", args=["dropout"])).status_code == 403


def test_deck_page_lists_cards_with_due_counts_and_next_dates(learner_client, learner, paper_terms):
    flashcards.add_terms(user=learner, terms=paper_terms[1])
    card = Card.objects.get(user=learner, term__slug="self-attention", direction="definition")
    flashcards.review(card=card, rating=4)
    response = learner_client.get(reverse("glossary:deck"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Self-Attention" in html and "Dropout" in html
    assert "<time datetime=" in html
    assert response.context["counts"]["due_now"] == 3
    assert response.context["counts"]["total"] == 4


# --- review -------------------------------------------------------------------


def test_review_shows_the_front_side_only(learner_client, learner, paper_terms):
    flashcards.add_terms(user=learner, terms=[paper_terms[1][1]])  # Dropout: definition card only
    response = learner_client.get(reverse("glossary:review"))
    html = response.content.decode()
    card = Card.objects.get(user=learner)
    assert response.status_code == 200
    assert "Dropout" in html
    assert card.term.definition_html not in html
    assert reverse("glossary:review_reveal", args=[card.pk]) in html
    assert 'data-rating="' not in html
    assert "glossary/review.js" in html


def test_reveal_shows_answer_and_four_ratings(learner_client, learner, paper_terms):
    flashcards.add_terms(user=learner, terms=[paper_terms[1][1]])
    card = Card.objects.get(user=learner)
    response = learner_client.get(reverse("glossary:review_reveal", args=[card.pk]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="review-card"')
    assert card.term.definition_html in html
    for value in "1234":
        assert f'data-rating="{value}"' in html
    assert "HX-Request" in response["Vary"]


def test_name_cards_ask_for_the_other_language(learner_client, learner, paper_terms):
    flashcards.add_terms(user=learner, terms=[paper_terms[1][0]])
    card = Card.objects.get(user=learner, direction="ko_en")
    html = learner_client.get(reverse("glossary:review_reveal", args=[card.pk])).content.decode()
    assert "셀프 어텐션" in html and "Self-Attention" in html


def test_good_moves_the_due_date_forward_and_logs_the_review(learner_client, learner, paper_terms):
    flashcards.add_terms(user=learner, terms=[paper_terms[1][1]])
    card = Card.objects.get(user=learner)
    before = card.due
    response = learner_client.post(rate_url(card), {"rating": "3", "reps": "0"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "deckChanged" in response["HX-Trigger"]
    card.refresh_from_db()
    assert card.due > before + timedelta(minutes=5)
    assert card.reps == 1 and card.last_review is not None
    assert card.fsrs["stability"] is not None
    log = ReviewLog.objects.get(card=card)
    assert (log.user, log.rating, log.due_before, log.due_after) == (learner, 3, before, card.due)
    html = response.content.decode()
    assert "지금 복습할 카드가 없습니다" in html or "No cards" in html

    # The schedule keeps advancing per FSRS: a second Good at the due time reaches days.
    flashcards.review(card=card, rating=3, now=card.due)
    flashcards.review(card=card, rating=3, now=card.due)
    card.refresh_from_db()
    assert card.state == 2
    assert card.due - card.last_review >= timedelta(days=1)


def test_again_keeps_the_card_soon(learner_client, learner, paper_terms):
    flashcards.add_terms(user=learner, terms=[paper_terms[1][1]])
    card = Card.objects.get(user=learner)
    learner_client.post(rate_url(card), {"rating": "1"})
    card.refresh_from_db()
    assert card.due - card.last_review <= timedelta(minutes=10)
    easy = flashcards.preview_intervals(card=card)[4]
    again = flashcards.preview_intervals(card=card)[1]
    assert again < easy


def test_rating_without_htmx_redirects_to_the_next_card(learner_client, learner, paper_terms):
    flashcards.add_terms(user=learner, terms=paper_terms[1])
    card = Card.objects.filter(user=learner).first()
    response = learner_client.post(rate_url(card), {"rating": "4", "reps": "0"})
    assert response.status_code == 302 and response["Location"] == reverse("glossary:review")
    html = learner_client.get(reverse("glossary:review")).content.decode()
    assert "다음 복습" in html or "Next review" in html


@pytest.mark.parametrize("value", ["", "0", "5", "abc"])
def test_a_bad_rating_gets_a_clear_error(learner_client, learner, paper_terms, value):
    flashcards.add_terms(user=learner, terms=[paper_terms[1][1]])
    card = Card.objects.get(user=learner)
    response = learner_client.post(rate_url(card), {"rating": value}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    response = learner_client.post(rate_url(card), {"rating": value})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.reps == 0 and not ReviewLog.objects.exists()


def test_a_double_submit_is_applied_once(learner_client, learner, paper_terms):
    flashcards.add_terms(user=learner, terms=[paper_terms[1][1]])
    card = Card.objects.get(user=learner)
    learner_client.post(rate_url(card), {"rating": "3", "reps": "0"})
    response = learner_client.post(rate_url(card), {"rating": "3", "reps": "0"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert ReviewLog.objects.count() == 1


def test_another_learners_cards_are_404(client, learner, other_learner, paper_terms):
    flashcards.add_terms(user=learner, terms=paper_terms[1])
    card = Card.objects.filter(user=learner).first()
    client.force_login(other_learner)
    assert client.get(reverse("glossary:review_reveal", args=[card.pk])).status_code == 404
    assert client.post(rate_url(card), {"rating": "3"}).status_code == 404
    html = client.get(reverse("glossary:review")).content.decode()
    assert "Self-Attention" not in html
    assert client.get(reverse("glossary:deck")).context["counts"]["total"] == 0
    card.refresh_from_db()
    assert card.reps == 0


def test_decks_are_separate(learner, other_learner, paper_terms):
    flashcards.add_terms(user=learner, terms=paper_terms[1])
    flashcards.add_terms(user=other_learner, terms=[paper_terms[1][1]])
    assert Card.objects.filter(user=learner).count() == 4
    assert Card.objects.filter(user=other_learner).count() == 1


def test_times_are_timezone_aware_utc(learner, paper_terms):
    flashcards.add_terms(user=learner, terms=[paper_terms[1][1]])
    card = Card.objects.get(user=learner)
    log = flashcards.review(card=card, rating=3)
    assert card.due.tzinfo is not None and log.reviewed_at.utcoffset() == timedelta(0)
    assert card.fsrs["due"].endswith("+00:00")


def test_review_js_maps_keys_1_to_4_and_space():
    source = (Path(django_settings.BASE_DIR) / "static/glossary/review.js").read_text()
    assert "[1-4]" in source and 'button[data-rating="' in source and "data-reveal" in source


def test_review_counts_come_with_the_next_card(learner_client, learner, paper_terms):
    flashcards.add_terms(user=learner, terms=[paper_terms[1][0]])  # three cards
    response = learner_client.get(reverse("glossary:review"))
    first = response.context["card"]
    assert response.context["counts"] == {"total": 3, "due_now": 3, "next_due": None}

    response = learner_client.post(rate_url(first), {"rating": "3", "reps": "0"}, headers=HTMX)
    first.refresh_from_db()
    following = response.context["card"]
    assert following is not None and following.pk != first.pk
    assert response.context["counts"] == {"total": 3, "due_now": 2, "next_due": first.due}

    for card in Card.objects.filter(user=learner).exclude(pk=first.pk):
        response = learner_client.post(rate_url(card), {"rating": "4", "reps": "0"}, headers=HTMX)
    assert response.context["card"] is None
    assert response.context["counts"]["due_now"] == 0
    assert response.context["counts"]["next_due"] == first.due  # the soonest of the three
    assert "지금 복습할 카드가 없습니다" in response.content.decode()


@pytest.mark.parametrize("count", [30, 3000])
def test_review_runs_a_fixed_number_of_queries(learner_client, learner, django_assert_num_queries, count):
    terms = make_terms_bulk(count=count)
    flashcards.add_terms(user=learner, terms=terms)
    assert Card.objects.filter(user=learner).count() == count * 3
    card = Card.objects.filter(user=learner).first()
    learner_client.get("/")  # the signed-in user is cached now
    # The next card and the deck's counts in one query.
    with django_assert_num_queries(1):
        assert learner_client.get(reverse("glossary:review")).status_code == 200
    # The card (with its term) and the counts.
    with django_assert_num_queries(2):
        learner_client.get(reverse("glossary:review_reveal", args=[card.pk]), headers=HTMX)
    # The card; the update and the log (in a transaction: 2 more statements); the next card with the counts.
    with django_assert_num_queries(6):
        learner_client.post(rate_url(card), {"rating": "3", "reps": "0"}, headers=HTMX)
    card.refresh_from_db()
    assert card.reps == 1


@pytest.mark.parametrize("count", [30, 3000])
def test_deck_page_runs_a_fixed_number_of_queries(learner_client, learner, django_assert_max_num_queries, count):
    flashcards.add_terms(user=learner, terms=make_terms_bulk(count=count))
    with django_assert_max_num_queries(5):
        response = learner_client.get(reverse("glossary:deck"))
    assert response.context["counts"]["total"] == count * 3


def test_deck_page_is_paginated(learner_client, learner):
    flashcards.add_terms(user=learner, terms=make_terms_bulk(count=40))
    first = learner_client.get(reverse("glossary:deck"))
    assert len(first.context["cards"]) == 100 and first.context["pages"] == 2
    second = learner_client.get(reverse("glossary:deck"), {"page": "2"})
    assert len(second.context["cards"]) == 20
    assert learner_client.get(reverse("glossary:deck"), {"page": "x"}).context["page"] == 1
    assert learner_client.get(reverse("glossary:deck"), {"page": "99"}).context["page"] == 2
