from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Min, Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from core.cache import cached_fragments, cached_html, fragment_key
from core.frame import render_page
from core.permissions import is_instructor
from core.rows import fits_bigint
from core.text import nfkc
from glossary import caching, flashcards, index, sql
from glossary.models import Card, Term
from papers.models import Paper

SEARCH_MAX_LENGTH = 100
DECK_PAGE_SIZE = 100
TERM_TEMPLATE = "glossary/term_detail.html"


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
    """One page of the index (or of the search results), mostly from the cache.

    htmx requests (search keystrokes, the paper filter, page links) get only
    the results. The papers dropdown has only the selected paper: its other
    options come from `paper_options` when the learner reaches for it.
    """
    query = nfkc(request.GET.get("q", "")).strip()[:SEARCH_MAX_LENGTH]
    paper_slug = request.GET.get("paper", "").strip()
    partial = _wants_partial(request)
    if not partial:
        # A full page shows the user: reading the session first brings the version with it (core.cache).
        request.user.is_authenticated  # noqa: B018
    version = caching.version()
    choices = index.paper_choices(request.user, version=version) if paper_slug else {}
    paper = choices.get(paper_slug)
    filters = index.Filters(query=query, paper=paper, page=index.parse_page(request.GET.get("page")))
    if partial:
        names = ["listing"]  # htmx: only the results are swapped
    elif not query and paper is None:
        names = ["listing", "intro"]
    else:
        names = ["listing"]  # a searched or selected form renders itself
    pieces = index.cached_pieces(filters, names, user=request.user, version=version)
    context = {
        "query": query,
        "paper": paper,
        "unknown_paper": bool(paper_slug) and paper is None,
        "listing": pieces["listing"],
        "intro": pieces.get("intro"),
    }
    if not partial and "intro" in pieces and paper is None:
        # The index itself: its cached parts in the page's frame (nothing else in it depends on the request).
        fills = {"intro": pieces["intro"], "listing": pieces["listing"]}
        shown = {"unknown_paper": context["unknown_paper"]}
        response = render_page(
            request, "glossary/term_list.html", fills=fills, context=shown, key=(shown["unknown_paper"],)
        )
        patch_vary_headers(response, ("HX-Request",))
        return response
    if not partial and "intro" not in pieces:
        # Only a page whose form is rendered here looks at the user (an htmx search need not load it).
        context["signed_in"] = request.user.is_authenticated
    return _render(request, "glossary/term_list.html", "term-results", context)


@require_GET
def paper_options(request):
    """The papers of the index's dropdown: its options for htmx (the selected paper, `?paper=`, marked),
    and a page of links for a browser without JavaScript.

    The index page leaves the options out: with hundreds of papers they would
    be half of its weight, and most visits never open the dropdown.
    """
    version = caching.version()
    choices = index.paper_choices(request.user, version=version)
    if not _wants_partial(request):
        response = render(request, "glossary/paper_index.html", {"paper_choices": list(choices.values())})
    else:
        paper = choices.get(request.GET.get("paper", "").strip())
        context = {"paper": paper}
        if paper is None:  # none selected: the cached options
            filters = index.Filters(query="", paper=None, page=1)
            pieces = index.cached_pieces(filters, ["options"], user=request.user, version=version)
            context["paper_options"] = pieces["options"]
        else:
            context["paper_choices"] = list(choices.values())
        response = render(request, "glossary/term_list.html#paper-select-options", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _term_pieces(slug: str, *, user, version: str) -> dict[str, SafeString]:
    """The parts of a term's page that are the same for everyone who may see them (cached).

    "title" and "main" (names and definition) depend on the term only;
    "more" lists related terms and the papers the visitor may see, which for
    instructors include drafts; "pk" is the term's id (digits), kept with its
    HTML so that a cached page needs no term query. Raises Http404 for an
    unknown slug.
    """
    staff = is_instructor(user)
    parts = {"pk": (), "title": (), "main": (), "more": (int(staff),)}

    def render_missing(names: list[str]) -> list[str]:
        papers = Paper.objects.visible_to(user).only("title", "slug", "year")
        terms = Term.objects.only("slug", "name_ko", "name_en", "abbreviation", "aliases", "definition_html")
        term = get_object_or_404(
            terms.prefetch_related(Prefetch("related", queryset=_related_terms()), Prefetch("papers", queryset=papers)),
            slug=slug,
        )
        context = {"term": term, "related": list(term.related.all()), "term_papers": list(term.papers.all())}
        plain = {"pk": str(term.pk), "title": conditional_escape(term.display_name)}
        return [
            plain[name] if name in plain else render_to_string(f"{TERM_TEMPLATE}#term-{name}", context)
            for name in names
        ]

    names = list(parts)
    html = cached_fragments(
        "glossary-term", names, lambda name: (name, version, caching.digest(slug), *parts[name]), render_missing
    )
    return dict(zip(names, html, strict=True))


def _related_terms():
    return Term.objects.only("slug", "name_ko", "name_en", "summary")


@require_GET
def term_detail(request, slug):
    request.user.is_authenticated  # noqa: B018 (the session read brings the version: see term_list)
    pieces = _term_pieces(slug, user=request.user, version=caching.version())
    term_id = int(pieces["pk"])
    in_deck = request.user.is_authenticated and Card.objects.filter(user=request.user, term_id=term_id).exists()
    # The deck button only needs the slug; the rest of the page is cached HTML.
    context = {"term": {"slug": slug}, "pieces": pieces, "in_deck": in_deck}
    return render(request, TERM_TEMPLATE, context)


@require_GET
def term_preview(request, slug):
    def render_preview() -> str:
        term = get_object_or_404(Term.objects.only("slug", "name_ko", "name_en", "abbreviation", "summary"), slug=slug)
        return render_to_string(f"{TERM_TEMPLATE}#term-preview", {"term": term})

    key = fragment_key("glossary-preview", caching.version(), caching.digest(slug))
    return HttpResponse(cached_html(key, render_preview))


# --- the deck ---------------------------------------------------------------------


def _deck_button(request, term, *, in_deck: bool):
    if not _wants_partial(request):
        return redirect(_next_url(request, term.get_absolute_url()))
    response = _render(request, TERM_TEMPLATE, "deck-button", {"term": term, "in_deck": in_deck})
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


def _next_card(user, now) -> tuple[Card | None, dict]:
    """The first due card (unrevealed: its term's names only) and the deck's counts, in one query."""
    first, counts = sql.first_card_and_counts(user_id=user.pk, now=now)
    if first is not None:
        first.user = user  # the same row
    return (first if first is not None and first.due <= now else None), counts


def _review_context(card: Card | None, counts: dict, *, revealed: bool = False, error: str = "") -> dict:
    context = {"card": card, "revealed": revealed, "error": error, "counts": counts}
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


def _revealed_context(request, card: Card, *, error: str = "") -> dict:
    counts = _deck_counts(request.user, timezone.now())
    return _review_context(card, counts, revealed=True, error=error)


@require_GET
def review(request):
    if not request.user.is_authenticated:
        return _login_redirect(request, reverse("glossary:review"))
    card, counts = _next_card(request.user, timezone.now())
    return _render(request, "glossary/review.html", "review-card", _review_context(card, counts))


def _own_card(request, card_id: int, *, with_term: bool = True) -> Card:
    """The learner's own card (404 for anyone else's), with `card.user` set without a query."""
    if with_term:
        card = get_object_or_404(Card.objects.select_related("term"), pk=card_id, user=request.user)
    else:
        card = sql.own_card(card_id=card_id, user_id=request.user.pk) if fits_bigint(card_id) else None
        if card is None:
            raise Http404("No flashcard matches the given query.")
    card.user = request.user
    return card


@require_GET
def review_reveal(request, card_id):
    if not request.user.is_authenticated:
        return _login_redirect(request, reverse("glossary:review"))
    card = _own_card(request, card_id)
    return _render(request, "glossary/review.html", "review-card", _revealed_context(request, card))


@require_POST
def review_rate(request, card_id):
    if not request.user.is_authenticated:
        return _login_redirect(request, reverse("glossary:review"))
    card = _own_card(request, card_id, with_term=False)  # the term is only shown again on an error
    try:
        rating = int(request.POST.get("rating", ""))
        if rating not in flashcards.RATINGS:
            raise ValueError
    except ValueError:
        error = _("평가를 1(다시)부터 4(쉬움) 가운데에서 골라 주세요.")
        if _wants_partial(request):
            context = _revealed_context(request, card, error=error)
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
    following, counts = _next_card(request.user, timezone.now())
    context = _review_context(following, counts)
    context["status"] = status
    response = _render(request, "glossary/review.html", "review-card", context)
    trigger_client_event(response, "deckChanged")
    return response


def warm(request) -> int:
    """Render the index pages and every term's page into the cache (see core's `warm_cache`)."""
    version = caching.version()
    slugs = list(Term.objects.order_by("pk").values_list("slug", flat=True))
    pages = index.page_count(len(slugs))
    for number in range(1, pages + 1):
        filters = index.Filters(query="", paper=None, page=number)
        index.cached_pieces(filters, ["listing", "intro", "options"], user=request.user, version=version)
    for slug in slugs:
        _term_pieces(slug, user=request.user, version=version)
    return pages + len(slugs)
