from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Min, Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from core.text import nfkc
from glossary import flashcards
from glossary.models import HANGUL_INITIALS, LATIN_INITIALS, OTHER_INITIAL, Card, Term
from papers.models import Paper

SEARCH_MAX_LENGTH = 100
DECK_PAGE_SIZE = 100
JUMP_INITIALS = list(HANGUL_INITIALS) + list(LATIN_INITIALS) + [OTHER_INITIAL]


def _wants_partial(request) -> bool:
    # A history restore (back button with htmx's cache off) needs the whole page.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(request, template: str, partial: str, context: dict, *, status: int = 200):
    name = f"{template}#{partial}" if _wants_partial(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _login_redirect(request, next_url: str):
    response = redirect_to_login(next_url)
    if request.htmx:
        return HttpResponseClientRedirect(response.url)
    return response


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# --- index, detail, preview -----------------------------------------------------


@require_GET
def term_list(request):
    query = nfkc(request.GET.get("q", "")).strip()[:SEARCH_MAX_LENGTH]
    paper_slug = request.GET.get("paper", "").strip()
    papers = list(Paper.objects.visible_to(request.user).filter(terms__isnull=False).distinct().only("title", "slug"))
    paper = next((p for p in papers if p.slug == paper_slug), None)

    terms = (
        Term.objects.search(query)
        .in_index_order()
        .only("slug", "name_ko", "name_en", "abbreviation", "summary", "initial")
    )
    if paper is not None:
        terms = terms.filter(papers=paper)
    terms = list(terms)
    present = {term.initial for term in terms}

    context = {
        "query": query,
        "papers": papers,
        "paper": paper,
        "unknown_paper": bool(paper_slug) and paper is None,
        "terms": terms,
        "term_count": len(terms),
        "jump_bar": [(initial, initial in present) for initial in JUMP_INITIALS],
        "is_filtered": bool(query) or paper is not None,
    }
    return _render(request, "glossary/term_list.html", "term-results", context)


def _related_terms():
    return Term.objects.only("slug", "name_ko", "name_en", "summary")


@require_GET
def term_detail(request, slug):
    term = get_object_or_404(
        Term.objects.prefetch_related(
            Prefetch("related", queryset=_related_terms()),
            Prefetch("papers", queryset=Paper.objects.visible_to(request.user).only("title", "slug", "year")),
        ),
        slug=slug,
    )
    context = {
        "term": term,
        "related": list(term.related.all()),
        "term_papers": list(term.papers.all()),
        "in_deck": _in_deck(request.user, term),
    }
    return render(request, "glossary/term_detail.html", context)


@require_GET
def term_preview(request, slug):
    term = get_object_or_404(Term.objects.only("slug", "name_ko", "name_en", "abbreviation", "summary"), slug=slug)
    return render(request, "glossary/term_detail.html#term-preview", {"term": term})


def _in_deck(user, term) -> bool:
    return user.is_authenticated and Card.objects.filter(user=user, term=term).exists()


# --- the deck ---------------------------------------------------------------------


def _deck_button(request, term, *, in_deck: bool):
    if not _wants_partial(request):
        return redirect(_next_url(request, term.get_absolute_url()))
    response = _render(request, "glossary/term_detail.html", "deck-button", {"term": term, "in_deck": in_deck})
    trigger_client_event(response, "deckChanged")
    return response


@require_POST
def deck_add_term(request, slug):
    term = get_object_or_404(Term, slug=slug)
    if not request.user.is_authenticated:
        return _login_redirect(request, term.get_absolute_url())
    added = flashcards.add_terms(user=request.user, terms=[term])
    if not _wants_partial(request):  # the htmx button shows its own status
        if added:
            messages.success(request, _("‘%(term)s’ 카드를 복습 덱에 넣었습니다.") % {"term": term})
        else:
            messages.info(request, _("‘%(term)s’은(는) 이미 복습 덱에 있습니다.") % {"term": term})
    return _deck_button(request, term, in_deck=True)


@require_POST
def deck_remove_term(request, slug):
    term = get_object_or_404(Term, slug=slug)
    if not request.user.is_authenticated:
        return _login_redirect(request, term.get_absolute_url())
    if flashcards.remove_term(user=request.user, term=term) and not _wants_partial(request):
        messages.success(request, _("‘%(term)s’ 카드를 복습 덱에서 뺐습니다.") % {"term": term})
    return _deck_button(request, term, in_deck=False)


@require_POST
def deck_add_paper(request, slug):
    paper = get_object_or_404(Paper.objects.visible_to(request.user), slug=slug)
    back = _next_url(request, f"{reverse('glossary:term_list')}?paper={paper.slug}")
    if not request.user.is_authenticated:
        return _login_redirect(request, back)
    terms = list(paper.terms.all())
    added = flashcards.add_terms(user=request.user, terms=terms)
    if not terms:
        messages.info(request, _("이 논문에는 아직 용어가 없습니다."))
    elif added:
        messages.success(
            request,
            _("‘%(paper)s’의 용어 %(terms)d개로 카드 %(cards)d장을 복습 덱에 넣었습니다.")
            % {"paper": paper.title, "terms": len(terms), "cards": added},
        )
    else:
        messages.info(request, _("이 논문의 용어는 모두 이미 복습 덱에 있습니다."))
    if request.htmx:
        return HttpResponseClientRedirect(back)
    return HttpResponseRedirect(back)


def _deck_counts(user, now) -> dict:
    return Card.objects.filter(user=user).aggregate(
        total=Count("pk"), due_now=Count("pk", filter=Q(due__lte=now)), next_due=Min("due", filter=Q(due__gt=now))
    )


@require_GET
def deck(request):
    if not request.user.is_authenticated:
        return _login_redirect(request, request.get_full_path())
    now = timezone.now()
    counts = _deck_counts(request.user, now)
    pages = max(1, -(-counts["total"] // DECK_PAGE_SIZE))
    try:
        page = min(max(1, int(request.GET.get("page", 1))), pages)
    except ValueError:
        page = 1
    start = (page - 1) * DECK_PAGE_SIZE
    cards = list(
        Card.objects.filter(user=request.user)
        .select_related("term")
        .order_by("due", "pk")[start : start + DECK_PAGE_SIZE]
    )
    return render(
        request,
        "glossary/deck.html",
        {"cards": cards, "counts": counts, "now": now, "page": page, "pages": pages},
    )


# --- review ----------------------------------------------------------------------


def _review_context(request, card: Card | None, *, now, revealed: bool = False, error: str = "") -> dict:
    context = {"card": card, "revealed": revealed, "error": error, "counts": _deck_counts(request.user, now)}
    if card is not None and revealed:
        context["choices"] = [
            (value, label, due)
            for (value, due), label in zip(
                flashcards.preview_intervals(card=card).items(),
                [_("다시"), _("어려움"), _("알맞음"), _("쉬움")],
                strict=True,
            )
        ]
    return context


@require_GET
def review(request):
    if not request.user.is_authenticated:
        return _login_redirect(request, reverse("glossary:review"))
    now = timezone.now()
    card = Card.objects.filter(user=request.user).due(now).select_related("term").first()
    return _render(request, "glossary/review.html", "review-card", _review_context(request, card, now=now))


def _own_card(request, card_id: int) -> Card:
    return get_object_or_404(Card.objects.select_related("term", "user"), pk=card_id, user=request.user)


@require_GET
def review_reveal(request, card_id):
    if not request.user.is_authenticated:
        return _login_redirect(request, reverse("glossary:review"))
    card = _own_card(request, card_id)
    context = _review_context(request, card, now=timezone.now(), revealed=True)
    return _render(request, "glossary/review.html", "review-card", context)


@require_POST
def review_rate(request, card_id):
    if not request.user.is_authenticated:
        return _login_redirect(request, reverse("glossary:review"))
    card = _own_card(request, card_id)
    try:
        rating = int(request.POST.get("rating", ""))
        if rating not in flashcards.RATINGS:
            raise ValueError
    except ValueError:
        error = _("평가를 1(다시)부터 4(쉬움) 가운데에서 골라 주세요.")
        if _wants_partial(request):
            context = _review_context(request, card, now=timezone.now(), revealed=True, error=error)
            return _render(request, "glossary/review.html", "review-card", context)
        messages.error(request, error)
        return redirect("glossary:review_reveal", card_id=card.pk)

    try:
        expected = int(request.POST.get("reps", card.reps))
    except ValueError:
        expected = card.reps
    try:
        flashcards.review(card=card, rating=rating, expected_reps=expected)
        status = _("다음 복습: %(when)s") % {
            "when": date_format(timezone.localtime(card.due), "SHORT_DATETIME_FORMAT"),
        }
    except flashcards.StaleReview:
        status = _("이 카드는 이미 평가했습니다.")

    if not _wants_partial(request):
        messages.success(request, status)
        return redirect("glossary:review")
    now = timezone.now()
    following = Card.objects.filter(user=request.user).due(now).select_related("term").first()
    context = _review_context(request, following, now=now)
    context["status"] = status
    response = _render(request, "glossary/review.html", "review-card", context)
    trigger_client_event(response, "deckChanged")
    return response
