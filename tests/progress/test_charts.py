from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from progress.charts import (
    ScorePoint,
    bar_chart_svg,
    heatmap_start,
    heatmap_svg,
    score_chart_svg,
    score_table_rows,
    study_summary,
)


def test_heatmap_has_a_cell_with_a_title_per_day_and_a_text_summary():
    end = date(2026, 5, 13)  # a Wednesday
    counts = {end: 3, end - timedelta(days=1): 1}
    svg = heatmap_svg(counts=counts, end=end, weeks=26)
    start = heatmap_start(end=end, weeks=26)
    assert start.weekday() == 0
    assert svg.count("<rect") == (end - start).days + 1
    assert svg.count("<title>") == (end - start).days + 1
    assert 'data-date="2026-05-13" data-count="3"' in svg
    assert "2026-05-13: 활동 3회" in svg
    assert 'role="img"' in svg and "<desc" in svg
    assert "2일 학습했습니다" in svg
    assert "<script" not in svg


def test_study_summary_streaks():
    end = date(2026, 5, 13)
    days = {end - timedelta(days=n): 1 for n in (1, 2, 3, 7, 8)}  # yesterday and the two days before
    summary = study_summary(counts=days, end=end)
    assert (summary.days, summary.current_streak, summary.longest_streak) == (5, 3, 3)
    assert study_summary(counts={}, end=end).current_streak == 0


def test_score_chart_escapes_labels_and_draws_axes():
    now = timezone.make_aware(datetime(2026, 5, 13, 12, 0))
    points = [
        ScorePoint(at=now - timedelta(days=3), grade=Decimal("40"), label='<b onload="x">&quiz'),
        ScorePoint(at=now, grade=Decimal("90"), label="Quiz 2"),
    ]
    svg = score_chart_svg(points=points, pass_mark=Decimal("60"))
    assert "<b onload" not in svg
    assert "&lt;b onload=&quot;x&quot;&gt;&amp;quiz" in svg
    assert "<polyline" in svg
    for tick in ("0%", "50%", "100%"):
        assert f">{tick}</text>" in svg
    assert "통과 기준 60%" in svg
    assert "2026-05-10" in svg and "2026-05-13" in svg
    assert score_chart_svg(points=[]) == ""


def test_score_chart_with_points_at_the_same_moment():
    now = timezone.now()
    svg = score_chart_svg(points=[ScorePoint(at=now, grade=Decimal("50"), label="a")] * 2)
    assert svg.count("<circle") == 2


def test_bar_chart_escapes_title():
    svg = bar_chart_svg(bars=[("0–10", 1), ("90–100", 4)], title="<grades>")
    assert "&lt;grades&gt;" in svg
    assert svg.count("<rect") == 2


def test_score_table_rows_are_escaped_and_in_local_time():
    at = timezone.make_aware(datetime(2026, 5, 13, 3, 30), timezone.get_fixed_timezone(0))
    rows = score_table_rows([ScorePoint(at=at, grade=Decimal("72.50"), label='<b>"Quiz"</b>')])
    local = timezone.localtime(at)
    assert f'<time datetime="{local.isoformat()}">{local:%Y-%m-%d %H:%M}</time>' in rows
    assert "&lt;b&gt;&quot;Quiz&quot;&lt;/b&gt;" in rows and "<b>" not in rows
    assert "<td>72.5%</td>" in rows
    assert score_table_rows([]) == ""


def test_one_learners_heatmap_leaves_the_shared_grid_as_it_was():
    """The empty grid is worked out once per day and language; a learner's cells never stay in it."""
    end = date(2026, 5, 13)
    busy = heatmap_svg(counts={end: 7, end - timedelta(days=30): 2}, end=end, weeks=26, id_prefix="a")
    idle = heatmap_svg(counts={}, end=end, weeks=26, id_prefix="b")
    assert 'data-date="2026-05-13" data-count="7"' in busy and 'data-count="7"' not in idle
    assert idle.count('data-count="0"') == idle.count("<rect") == busy.count("<rect")
    assert heatmap_svg(counts={end: 0}, end=end, weeks=26, id_prefix="b") == idle


def test_score_table_rows_are_what_format_html_join_builds():
    from django.utils.html import format_html_join

    from progress.templatetags.progress_tags import percent

    at = timezone.make_aware(datetime(2026, 5, 13, 3, 30), timezone.get_fixed_timezone(0))
    points = [ScorePoint(at=at + timedelta(hours=i), grade=Decimal(i * 7), label=f"<i>{i}</i> & 'x'") for i in range(5)]
    rows = [timezone.localtime(p.at) for p in points]
    expected = format_html_join(
        "",
        '<tr><td><time datetime="{}">{}</time></td><td>{}</td><td>{}</td></tr>',
        (
            (r.isoformat(), r.strftime("%Y-%m-%d %H:%M"), p.label, percent(p.grade))
            for r, p in zip(rows, points, strict=True)
        ),
    )
    assert score_table_rows(points) == expected
