"""Server-side SVG charts (no chart library, no CDN).

Every piece of text that goes into the markup passes through `escape()`;
templates insert the returned string with `|safe`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from core.cache import format_escaped, join_escaped

HEAT_COLORS = ["#e5e7eb", "#bfe3dd", "#7cc8bd", "#2a9d8f", "#0f766e"]
LINE_COLOR = "#1f5fbf"
MARK_COLOR = "#b45309"
BAR_COLOR = "#0f766e"


def _level(count: int) -> int:
    if count <= 0:
        return 0
    if count == 1:
        return 1
    if count <= 3:
        return 2
    if count <= 6:
        return 3
    return 4


def heatmap_start(*, end: date, weeks: int) -> date:
    """The Monday that starts a grid of `weeks` columns ending with `end`'s week."""
    return end - timedelta(days=end.weekday()) - timedelta(weeks=weeks - 1)


_CELL, _GAP, _LEFT, _TOP = 12, 3, 30, 18  # the heatmap's geometry


def heatmap_svg(*, counts: Mapping[date, int], end: date, weeks: int = 26, id_prefix: str = "heatmap") -> str:
    """A calendar grid of study days: one column per week, Monday on top.

    The grid as it is with no activity is the same for every learner on a
    given day (`_heat_grid`); only the cells of days with activity are made here.
    """
    start = heatmap_start(end=end, weeks=weeks)
    width = _LEFT + weeks * (_CELL + _GAP)
    height = _TOP + 7 * (_CELL + _GAP)
    title = gettext("학습한 날 (최근 %(weeks)d주)") % {"weeks": weeks}
    active = sum(1 for day, n in counts.items() if n and start <= day <= end)
    desc = gettext("%(start)s부터 %(end)s까지 %(days)d일 학습했습니다.") % {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": active,
    }
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart heatmap" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc">'
        f'<title id="{id_prefix}-title">{escape(title)}</title>'
        f'<desc id="{id_prefix}-desc">{escape(desc)}</desc>'
    )
    pieces, cells = _heat_grid(start, end, weeks, get_language())
    if any(n for n in counts.values()):
        pieces = list(pieces)
        for day, n in counts.items():
            if n and day in cells:
                index, cell = cells[day]
                pieces[index] = cell.format(fill=HEAT_COLORS[_level(n)], count=n)
    return head + "".join(pieces) + "</svg>"


@functools.lru_cache(maxsize=8)
def _heat_grid(start: date, end: date, weeks: int, language: str) -> tuple[tuple[str, ...], dict]:
    """The grid's labels and empty cells in order, and for each day its place there and its cell
    as a format string (`fill`, `count`). Worked out once per day and language."""
    pieces = []
    cells = {}
    weekday_labels = {0: gettext("월"), 2: gettext("수"), 4: gettext("금")}
    for row, label in weekday_labels.items():
        y = _TOP + row * (_CELL + _GAP) + _CELL - 2
        pieces.append(f'<text x="0" y="{y}" font-size="10" fill="#5b6472">{escape(label)}</text>')
    # One translated, escaped tooltip pattern for all ~180 cells (its values are dates and numbers).
    tip = escape(gettext("%(day)s: 활동 %(count)d회"))
    previous_month = None
    for week in range(weeks):
        column_start = start + timedelta(weeks=week)
        x = _LEFT + week * (_CELL + _GAP)
        if column_start.month != previous_month:
            previous_month = column_start.month
            label = date_format(column_start, "M")  # "11월" / "Nov"
            pieces.append(f'<text x="{x}" y="11" font-size="10" fill="#5b6472">{escape(label)}</text>')
        for row in range(7):
            day = column_start + timedelta(days=row)
            if day > end:
                break
            y = _TOP + row * (_CELL + _GAP)
            iso = day.isoformat()
            # Braces are doubled where the text stays, so that only {fill} and {count} are fields.
            title = (tip % {"day": iso, "count": 987654321}).replace("{", "{{").replace("}", "}}")
            title = title.replace("987654321", "{count}")
            cell = (
                f'<rect x="{x}" y="{y}" width="{_CELL}" height="{_CELL}" rx="2" fill="{{fill}}" '
                f'data-date="{iso}" data-count="{{count}}"><title>{title}</title></rect>'
            )
            cells[day] = (len(pieces), cell)
            pieces.append(cell.format(fill=HEAT_COLORS[0], count=0))
    return tuple(pieces), cells


@dataclass(frozen=True)
class StudySummary:
    days: int
    current_streak: int
    longest_streak: int


def study_summary(*, counts: Mapping[date, int], end: date) -> StudySummary:
    days = sorted(d for d, n in counts.items() if n and d <= end)
    longest = run = 0
    previous = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = 0
    active = set(days)
    cursor = end if end in active else end - timedelta(days=1)  # today not studied yet keeps the streak
    while cursor in active:
        current += 1
        cursor -= timedelta(days=1)
    return StudySummary(days=len(days), current_streak=current, longest_streak=longest)


@dataclass(frozen=True)
class ScorePoint:
    at: datetime
    grade: Decimal
    label: str


def score_chart_svg(
    *, points: Sequence[ScorePoint], pass_mark: Decimal | None = None, id_prefix: str = "scores"
) -> str:
    """Quiz grades (0–100 %) over time as a polyline with labelled axes."""
    if not points:
        return ""
    width, height = 640, 240
    left, right, top, bottom = 44, 16, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    points = sorted(points, key=lambda p: p.at)
    first, last = points[0].at, points[-1].at
    span = (last - first).total_seconds()

    def x_of(index: int, at: datetime) -> float:
        if span <= 0:
            return left + (plot_w * (index + 0.5) / len(points) if len(points) > 1 else plot_w / 2)
        return left + plot_w * (at - first).total_seconds() / span

    def y_of(grade: Decimal) -> float:
        value = max(Decimal(0), min(Decimal(100), Decimal(grade)))
        return top + plot_h * (1 - float(value) / 100)

    title = gettext("퀴즈 성적 추이")
    desc = gettext("%(count)d번의 채점된 응시, %(first)s부터 %(last)s까지. 최근 성적 %(grade)s%%.") % {
        "count": len(points),
        "first": timezone.localtime(first).date().isoformat(),
        "last": timezone.localtime(last).date().isoformat(),
        "grade": f"{points[-1].grade:.0f}",
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart score-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(desc)}</desc>',
    ]
    for tick in (0, 25, 50, 75, 100):
        y = y_of(Decimal(tick))
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#5b6472">{tick}%</text>'
        )
    if pass_mark is not None:
        y = y_of(pass_mark)
        label = gettext("통과 기준 %(mark)s%%") % {"mark": f"{pass_mark:.0f}"}
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{MARK_COLOR}" '
            f'stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{width - right}" y="{y - 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="{MARK_COLOR}">{escape(label)}</text>'
        )
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#9ca3af"/>')
    first_label = timezone.localtime(first).date().isoformat()
    last_label = timezone.localtime(last).date().isoformat()
    parts.append(f'<text x="{left}" y="{height - 12}" font-size="11" fill="#5b6472">{escape(first_label)}</text>')
    if last_label != first_label:
        parts.append(
            f'<text x="{width - right}" y="{height - 12}" font-size="11" text-anchor="end" '
            f'fill="#5b6472">{escape(last_label)}</text>'
        )
    axis = gettext("응시 날짜")
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" font-size="11" text-anchor="middle" '
        f'fill="#5b6472">{escape(axis)}</text>'
    )
    coords = [(x_of(i, p.at), y_of(p.grade)) for i, p in enumerate(points)]
    if len(coords) > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE_COLOR}" stroke-width="2"/>')
    for (x, y), point in zip(coords, points, strict=True):
        tip = f"{point.label} · {point.grade:.0f}% · {timezone.localtime(point.at).date().isoformat()}"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{LINE_COLOR}"><title>{escape(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def score_table_rows(points: Sequence[ScorePoint]) -> SafeString:
    """The rows of the score chart's table (its text alternative): date, quiz, grade; escaped."""
    from progress.templatetags.progress_tags import local_time, percent

    row = "<tr><td>{time}</td><td>{label}</td><td>{grade}</td></tr>"
    rows = (format_escaped(row, time=local_time(p.at), label=p.label, grade=percent(p.grade)) for p in points)
    return join_escaped(rows)


def bar_chart_svg(*, bars: Sequence[tuple[str, int]], title: str, id_prefix: str = "bars") -> str:
    """Vertical bars with a label under each and the count above it."""
    if not bars:
        return ""
    width, height = 640, 200
    left, right, top, bottom = 16, 16, 18, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((n for _, n in bars), default=0) or 1
    slot = plot_w / len(bars)
    desc = ", ".join(f"{label}: {n}" for label, n in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(desc)}</desc>',
    ]
    for i, (label, n) in enumerate(bars):
        h = plot_h * n / peak
        x = left + i * slot + slot * 0.15
        y = top + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{BAR_COLOR}">'
            f"<title>{escape(label)}: {n}</title></rect>"
        )
        cx = left + i * slot + slot / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{y - 4:.1f}" font-size="10" text-anchor="middle" fill="#334155">{n}</text>'
        )
        parts.append(
            f'<text x="{cx:.1f}" y="{height - 10}" font-size="10" text-anchor="middle" '
            f'fill="#5b6472">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
