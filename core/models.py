"""Shared model plumbing: Markdown fields stored with their rendered HTML."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from core import cache
from core.markdown import render_markdown


class RenderedMarkdownModel(models.Model):
    """Renders each Markdown source field into its `*_html` twin on save.

    Subclasses list pairs in `MARKDOWN_FIELDS = {"guide": "guide_html"}`.
    Rendering happens on write only; pages never render Markdown per request.
    """

    MARKDOWN_FIELDS: dict[str, str] = {}

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        changed = self.render_markdown_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and changed:
            kwargs["update_fields"] = set(update_fields) | set(changed)
        super().save(*args, **kwargs)

    def markdown_context(self) -> dict:
        """Extra context for post-processors (e.g. a term must not link to itself)."""
        return {}

    def render_markdown_fields(self) -> list[str]:
        """Re-render all Markdown fields; return the names of changed HTML fields."""
        changed = []
        context = self.markdown_context()
        for source, target in self.MARKDOWN_FIELDS.items():
            rendered = render_markdown(getattr(self, source), **context)
            if rendered != getattr(self, target):
                setattr(self, target, rendered)
                changed.append(target)
        return changed


def rendered_markdown_models() -> list[type[RenderedMarkdownModel]]:
    return [m for m in apps.get_models() if issubclass(m, RenderedMarkdownModel)]


def rerender_all_markdown(*, batch_size: int = 500) -> int:
    """Re-render every stored Markdown field (after glossary terms change).

    Returns the number of rows whose HTML changed.
    """
    total = 0
    for model in rendered_markdown_models():
        fields = list(model.MARKDOWN_FIELDS.values())
        pending = []
        for obj in model.objects.all().iterator(chunk_size=batch_size):
            if obj.render_markdown_fields():
                pending.append(obj)
            if len(pending) >= batch_size:
                model.objects.bulk_update(pending, fields)
                total += len(pending)
                pending = []
        if pending:
            model.objects.bulk_update(pending, fields)
            total += len(pending)
    if total:
        # bulk_update sends no save() signals: cached pages showing stored HTML go stale here.
        cache.bump_on_commit(cache.MARKDOWN)
    return total
