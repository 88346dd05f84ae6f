import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from papers.models import Category, ChecklistStep, Lesson, Paper
from tests.factories import make_category, make_paper, make_reading_method

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["category", "paper", "lesson"])
def test_instructor_can_open_changelist_add_and_change(instructor_client, model):
    make_reading_method()
    make_paper(title="Attention Is All You Need")
    obj = {"category": Category, "paper": Paper, "lesson": Lesson}[model].objects.first()
    base = f"/admin/papers/{model}/"
    assert instructor_client.get(base).status_code == 200
    assert instructor_client.get(base + "add/").status_code == 200
    response = instructor_client.get(f"{base}{obj.pk}/change/")
    assert response.status_code == 200


def test_paper_admin_uses_markdownx_widget_with_sanitized_preview(instructor_client):
    paper = make_paper()
    content = instructor_client.get(f"/admin/papers/paper/{paper.pk}/change/").content.decode()
    assert 'class="markdownx"' in content or "markdownx-editor" in content
    assert 'data-markdownx-urls-path="/markdownx/markdownify/"' in content
    assert 'id="id_slug"' in content and "prepopulated" in content.lower()
    assert "checklist_steps-TOTAL_FORMS" in content
    assert "selectfilter" in content.lower()  # filter_horizontal prerequisites


def test_changelist_filters_and_search(instructor_client):
    nlp = make_category(name_ko="자연어 처리", name_en="NLP")
    make_paper(title="Attention Is All You Need", authors="Vaswani", year=2017, category=nlp)
    make_paper(title="Deep Residual Learning", authors="He", year=2015, status=Paper.Status.DRAFT)
    response = instructor_client.get("/admin/papers/paper/", {"q": "vaswani"})
    assert "Attention Is All You Need" in response.content.decode()
    assert "Deep Residual" not in response.content.decode()
    response = instructor_client.get("/admin/papers/paper/", {"status__exact": "draft"})
    assert "Deep Residual" in response.content.decode() and "Attention" not in response.content.decode()
    response = instructor_client.get("/admin/papers/paper/", {"year": "2017"})
    assert response.status_code == 200 and "Attention" in response.content.decode()
    response = instructor_client.get("/admin/papers/paper/", {"category__id__exact": nlp.pk})
    assert "Attention" in response.content.decode() and "Deep Residual" not in response.content.decode()


def test_publish_and_unpublish_actions(instructor_client):
    a = make_paper(status=Paper.Status.DRAFT)
    b = make_paper(status=Paper.Status.DRAFT)
    response = instructor_client.post(
        "/admin/papers/paper/", {"action": "publish", ACTION_CHECKBOX_NAME: [a.pk, b.pk]}, follow=True
    )
    assert response.status_code == 200
    assert set(Paper.objects.values_list("status", flat=True)) == {"published"}
    assert "2편을 공개했습니다" in response.content.decode()
    instructor_client.post("/admin/papers/paper/", {"action": "unpublish", ACTION_CHECKBOX_NAME: [a.pk]})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == ("draft", "published")


def test_fill_default_checklist_action(instructor_client):
    make_reading_method()
    empty = make_paper(steps=0)
    full = make_paper(steps=2)
    instructor_client.post(
        "/admin/papers/paper/", {"action": "fill_default_checklist", ACTION_CHECKBOX_NAME: [empty.pk, full.pk]}
    )
    assert empty.checklist_steps.count() == 7 and full.checklist_steps.count() == 2


def paper_form_data(category, **overrides):
    data = {
        "title": "Generative Adversarial Networks",
        "slug": "gan",
        "category": category.pk,
        "order": 0,
        "status": "published",
        "authors": "Goodfellow, Pouget-Abadie",
        "year": 2014,
        "venue": "NeurIPS 2014",
        "summary": "GAN을 소개한 논문.",
        "keywords": "",
        "paper_url": "https://arxiv.org/abs/1406.2661",
        "doi": "",
        "arxiv_id": "1406.2661",
        "code_url": "",
        "bibtex": "",
        "guide": "## 읽는 법\n\n<script>alert(1)</script>**판별자**와 생성자",
        "lesson": "",
        "checklist_steps-TOTAL_FORMS": "0",
        "checklist_steps-INITIAL_FORMS": "0",
        "checklist_steps-MIN_NUM_FORMS": "0",
        "checklist_steps-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_adding_a_paper_renders_guide_and_fills_default_checklist(instructor_client):
    make_reading_method()
    category = make_category()
    response = instructor_client.post("/admin/papers/paper/add/", paper_form_data(category))
    assert response.status_code == 302, response.content.decode()[:2000]
    paper = Paper.objects.get(slug="gan")
    assert "<strong>판별자</strong>" in paper.guide_html and "<script" not in paper.guide_html
    assert [s.title for s in paper.checklist_steps.all()][0] == "구조적 접근하기"


def test_adding_a_paper_with_own_steps_keeps_them(instructor_client):
    make_reading_method()
    data = paper_form_data(make_category())
    data.update(
        {
            "checklist_steps-TOTAL_FORMS": "1",
            "checklist_steps-0-order": "1",
            "checklist_steps-0-title": "Figure 1부터 보세요",
            "checklist_steps-0-body": "*그림*",
        }
    )
    assert instructor_client.post("/admin/papers/paper/add/", data).status_code == 302
    steps = list(ChecklistStep.objects.filter(paper__slug="gan"))
    assert [s.title for s in steps] == ["Figure 1부터 보세요"] and "<em>그림</em>" in steps[0].body_html


def test_bad_admin_input_is_a_form_error_not_a_500(instructor_client):
    category = make_category()
    existing = make_paper(title="Generative Adversarial Networks")
    response = instructor_client.post("/admin/papers/paper/add/", paper_form_data(category, slug="gan-2"))
    assert response.status_code == 200 and "같은 제목의 논문이 이미 있습니다" in response.content.decode()
    data = paper_form_data(category, title=existing.title, slug=existing.slug, prerequisites=[existing.pk])
    response = instructor_client.post(f"/admin/papers/paper/{existing.pk}/change/", data)
    assert response.status_code == 200 and "자기 자신의 선수 논문" in response.content.decode()


def test_every_admin_field_has_help_text(rf, instructor):
    request = rf.get("/admin/")
    request.user = instructor
    for model in (Category, Paper, Lesson):
        model_admin = admin.site._registry[model]
        form = model_admin.get_form(request)
        for name, field in form.base_fields.items():
            assert field.help_text, f"{model.__name__}.{name}"
        for inline in model_admin.get_inline_instances(request):
            formset = inline.get_formset(request)
            for name, field in formset.form.base_fields.items():
                if name in ("id", "DELETE", inline.fk_name or "") or field.widget.is_hidden:
                    continue
                assert field.help_text, f"{inline.model.__name__}.{name}"


def test_learners_cannot_open_the_admin(learner_client):
    assert learner_client.get("/admin/papers/paper/").status_code == 302
