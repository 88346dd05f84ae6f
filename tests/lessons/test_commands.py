"""import_lesson, export_lesson and load_bundled_content as a user runs them."""

import io
import shutil
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from lessons.importer import IMPORTER_VERSION
from lessons.models import ImportLog
from papers.models import Paper
from quizzes.models import Question
from tests.lessons.helpers import CONTENT, EXTENSIONS, SEED, snapshot

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_cli(name: str, *args) -> tuple[int, str, str]:
    """Like `manage.py NAME ARGS` (exit status, stdout, stderr)."""
    command = load_command_class("lessons", name)
    command.stdout._out = out = io.StringIO()
    command.stderr._out = err = io.StringIO()
    try:
        # run_from_argv closes the connections at the end, which would end the test's transaction.
        with mock.patch("django.core.management.base.connections.close_all"):
            command.run_from_argv(["manage.py", name, "--skip-checks", *args])
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_import_lesson_prints_a_summary():
    output = run("import_lesson", str(SEED))
    assert "00-ai-research-papers.md:" in output
    assert "Paper" in output and " 13 " in output
    assert Paper.objects.count() == 13
    again = run("import_lesson", str(SEED))
    assert "unchanged" in again
    assert Question.objects.count() == 30


def test_import_lesson_several_paths():
    run("import_lesson", str(SEED), str(EXTENSIONS))
    assert Paper.objects.count() == 15
    assert ImportLog.objects.count() == 2


def test_import_lesson_dry_run_prints_and_changes_nothing():
    output = run("import_lesson", str(SEED), "--dry-run")
    assert "Dry run: nothing was changed." in output
    assert "created" in output and "Question" in output
    assert Paper.objects.count() == 0


def test_import_lesson_error_is_path_line_message(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(SEED.read_bytes().replace(b"### **7.2", b"1. extra\n\n### **7.2"))
    with pytest.raises(CommandError) as info:
        run("import_lesson", str(bad))
    assert str(info.value) == f"{bad}:192: 10 answers for 11 questions: the counts must match"
    assert Paper.objects.count() == 0


def test_import_lesson_from_the_command_line_exits_1_with_path_line_message(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"## 1. ok\n\xff\xfe broken\n")
    status, out, err = run_cli("import_lesson", str(bad))
    assert status == 1
    assert err.strip().startswith(f"{bad}:2: not UTF-8")
    assert "Traceback" not in err and out == ""
    assert Paper.objects.count() == 0


def test_import_lesson_missing_file(tmp_path):
    status, _out, err = run_cli("import_lesson", str(tmp_path / "nope.md"))
    assert status == 1 and "cannot read the file" in err


def test_export_lesson_writes_a_file(tmp_path):
    run("import_lesson", str(SEED))
    target = tmp_path / "out.md"
    output = run("export_lesson", "--output", str(target))
    assert f"Wrote {target}" in output
    text = target.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 26차시 1:AI Research Papers\n")
    before = snapshot()
    run("import_lesson", str(target))
    assert snapshot() == before


def test_export_lesson_chosen_papers(tmp_path):
    run("import_lesson", str(SEED))
    target = tmp_path / "two.md"
    run("export_lesson", "--paper", "backpropagation", "--paper", "deep-learning", "--output", str(target))
    text = target.read_text(encoding="utf-8")
    assert "## 2. **Backpropagation (1986, Rumelhart et al.)**" in text
    assert "## 3. **Deep Learning (2015, LeCun, Bengio, Hinton)**" in text
    assert "Attention Is All You Need" not in text


def test_export_lesson_unknown_slug(tmp_path):
    with pytest.raises(CommandError, match="no paper with slug: nope"):
        run("export_lesson", "--paper", "nope", "--output", str(tmp_path / "x.md"))


@pytest.fixture
def content_dir(tmp_path, monkeypatch):
    """A copy of the bundled content that a test may change."""
    target = tmp_path / "content"
    target.mkdir()
    shutil.copy(SEED, target / SEED.name)
    monkeypatch.setattr("lessons.management.commands.load_bundled_content.content_dir", lambda: target)
    return target


def test_load_bundled_content_imports_then_skips(content_dir):
    output = run("load_bundled_content")
    assert "1 imported, 0 unchanged" in output
    assert Paper.objects.count() == 13
    log = ImportLog.objects.get()
    assert (log.origin, log.source_name) == ("bundled", SEED.name)
    output = run("load_bundled_content")
    assert "0 imported, 1 unchanged" in output
    assert ImportLog.objects.count() == 1


def test_load_bundled_content_reimports_a_changed_document(content_dir):
    run("load_bundled_content")
    seed = content_dir / SEED.name
    seed.write_text(seed.read_text(encoding="utf-8").replace("AlexNet을 제안하며", "AlexNet을 처음 제안하며"), "utf-8")
    assert "1 imported" in run("load_bundled_content")
    assert Paper.objects.get(slug__startswith="imagenet").summary.startswith("AlexNet을 처음 제안하며")
    assert "1 imported" in run("load_bundled_content", "--force")


def test_load_bundled_content_rereads_documents_after_an_importer_upgrade(content_dir, monkeypatch):
    run("load_bundled_content")
    monkeypatch.setattr("lessons.importer.IMPORTER_VERSION", IMPORTER_VERSION + "-next")
    assert "1 imported" in run("load_bundled_content")


def test_load_bundled_content_reports_a_broken_document_and_keeps_the_others(content_dir):
    (content_dir / "50-broken.md").write_bytes(b"## 1. a\n\x00")
    status, out, err = run_cli("load_bundled_content")
    assert status == 1
    assert "50-broken.md:2: binary file" in err
    assert "1 imported, 0 unchanged, 1 failed" in err
    assert Paper.objects.count() == 13


def test_load_bundled_content_uses_the_shipped_folder():
    from lessons.management.commands.load_bundled_content import content_dir

    assert content_dir() == CONTENT
    assert (content_dir() / "00-ai-research-papers.md").read_bytes() == SEED.read_bytes()
    assert Path(SEED).exists()
