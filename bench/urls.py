"""`/bench/bare/` and `/bench/floor/`, mounted only when BENCH_MODE is on (setting or environment)."""

import os

from django.conf import settings
from django.urls import path

from bench import views


def bench_enabled() -> bool:
    setting = getattr(settings, "BENCH_MODE", None)
    if setting is not None:
        return bool(setting)
    return os.environ.get("BENCH_MODE", "").strip().lower() in {"1", "true", "yes", "on"}


def bench_urlpatterns() -> list:
    if not bench_enabled():
        return []
    return [
        path("bench/bare/", views.bare, name="bench_bare"),
        path("bench/floor/", views.floor, name="bench_floor"),
    ]
