"""The admin upload of a lesson document, and the import log pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lessons.models import ImportLog
from papers.models import Paper
from tests.lessons.helpers import SEED, import_file

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/lessons/importlog/import/"


def upload(client, data: bytes, *, name="00-ai-research-papers.md", dry_run=False, follow=True):
    payload = {"document": SimpleUploadedFile(name, data, content_type="text/markdown")}
    if dry_run:
        payload["dry_run"] = "on"
    return client.post(IMPORT_URL, payload, follow=follow)


def test_url_name():
    assert reverse("admin:lessons_importlog_import") == IMPORT_URL


def test_form_page_for_instructors(instructor_client):
    response = instructor_client.get(IMPORT_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="id_document"' in html and '<label for="id_dry_run"' in html
    assert "csrfmiddlewaretoken" in html


def test_learners_and_anonymous_cannot_import(client, learner_client):
    assert client.get(IMPORT_URL).status_code == 302  # to the admin login
    response = learner_client.post(IMPORT_URL, {"document": SimpleUploadedFile("x.md", SEED.read_bytes())})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Paper.objects.count() == 0


def test_staff_without_the_permission_gets_403(client):
    from tests.factories import make_user

    client.force_login(make_user(is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403


def test_upload_imports_and_shows_the_summary(instructor_client, instructor):
    response = upload(instructor_client, SEED.read_bytes())
    assert response.status_code == 200
    assert Paper.objects.count() == 13
    log = ImportLog.objects.get()
    assert (log.origin, log.user, log.source_name) == ("admin", instructor, SEED.name)
    assert response.redirect_chain[-1][0] == reverse("admin:lessons_importlog_change", args=[log.pk])
    html = response.content.decode()
    assert "레슨 문서를 가져왔습니다." in html
    assert "<th scope='row'>Paper</th><td>13</td>" in html


def test_upload_again_reports_nothing_changed(instructor_client):
    import_file(SEED)
    response = upload(instructor_client, SEED.read_bytes())
    assert "바뀐 것이 없습니다" in response.content.decode()
    assert Paper.objects.count() == 13


def test_dry_run_upload_changes_nothing(instructor_client):
    response = upload(instructor_client, SEED.read_bytes(), dry_run=True, follow=False)
    assert response.status_code == 200
    html = response.content.decode()
    assert "미리 보기입니다" in html and 'aria-live="polite"' in html
    assert "<th scope='row'>Question</th><td>30</td>" in html
    assert Paper.objects.count() == 0
    assert ImportLog.objects.count() == 0


def test_malformed_upload_is_a_form_error_with_the_line(instructor_client):
    data = SEED.read_bytes().replace(b"### **7.2", b"1. extra\n\n### **7.2")
    response = upload(instructor_client, data, name="seed.md", follow=False)
    assert response.status_code == 200
    html = response.content.decode()
    assert "seed.md:192: 10 answers for 11 questions" in html
    assert 'class="errornote"' in html and 'aria-live="assertive"' in html
    assert Paper.objects.count() == 0
    assert ImportLog.objects.count() == 0


def test_binary_upload_is_a_form_error(instructor_client):
    response = upload(instructor_client, b"\x89PNG\r\n\x1a\n\x00\x00", name="image.png", follow=False)
    assert response.status_code == 200
    assert "image.png:3: binary file" in response.content.decode()


def test_missing_file_is_a_form_error(instructor_client):
    response = instructor_client.post(IMPORT_URL, {})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert ImportLog.objects.count() == 0


def test_add_button_leads_to_the_upload(instructor_client):
    response = instructor_client.get("/admin/lessons/importlog/add/")
    assert response.status_code == 302 and response["Location"] == IMPORT_URL


@pytest.mark.parametrize("size", [3, 60])
def test_changelist_query_count_does_not_grow(instructor_client, instructor, django_assert_max_num_queries, size):
    ImportLog.objects.bulk_create(
        [ImportLog(source_name=f"doc-{n}.md", user=instructor, summary={"Paper": {"created": 1}}) for n in range(size)]
    )
    with django_assert_max_num_queries(12):
        response = instructor_client.get("/admin/lessons/importlog/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "doc-1.md" in html and "레슨 문서 가져오기" in html and IMPORT_URL in html


def test_log_page_is_read_only(instructor_client):
    import_file(SEED)
    log = ImportLog.objects.get()
    response = instructor_client.get(reverse("admin:lessons_importlog_change", args=[log.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<th scope='row'>Term</th><td>29</td>" in html
    assert 'name="_save"' not in html
