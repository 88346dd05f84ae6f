"""`manage.py warm_cache`: the shared pages are in the cache before the first reader comes."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.management.commands import warm_cache
from quizzes.models import Attempt
from tests.factories import make_paper, make_quiz, make_term

pytestmark = pytest.mark.django_db


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def shared_cache(monkeypatch):
    # The tests' cache is local memory, which the command declines to fill for other processes.
    monkeypatch.setattr(warm_cache, "cache_is_per_process", lambda: False)


def test_after_warming_no_reader_renders_a_paper_a_term_or_a_quiz(shared_cache, learner, learner_client, capsys):
    paper = make_paper(title="Attention Is All You Need", guide="**guide**")
    term = make_term(name_ko="어텐션", name_en="Attention", papers=[paper])
    quiz = make_quiz(paper=paper, questions=2)
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    call_command("warm_cache")
    assert "[ko] 2 paper pages, 2 glossary pages, 1 quizzes" in capsys.readouterr().out  # the list and the paper

    for client in (Client(), learner_client):
        for url in (paper.get_absolute_url(), "/glossary/", term.get_absolute_url()):
            queries = [sql for sql in _queries(client, url) if "papers_" in sql or "glossary_term" in sql]
            rendered = [sql for sql in queries if "papers_stepprogress" not in sql]  # the learner's own ticks
            assert not rendered, (url, rendered)
    for client in (Client(), learner_client):
        assert not [sql for sql in _queries(client, "/papers/") if "papers_paper" in sql]
    taking = _queries(learner_client, attempt.get_absolute_url())
    assert not [sql for sql in taking if "quizzes_question" in sql or "quizzes_answer" in sql]


def test_without_warming_the_first_reader_renders(learner_client):
    paper = make_paper(guide="**guide**")
    assert [sql for sql in _queries(learner_client, paper.get_absolute_url()) if "papers_paper" in sql]


def test_a_per_process_cache_is_not_warmed(capsys):
    call_command("warm_cache")
    assert "Nothing to warm" in capsys.readouterr().out


def test_an_unknown_language_is_refused(shared_cache):
    with pytest.raises(CommandError, match="unknown language xx"):
        call_command("warm_cache", languages="ko,xx")
