from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Load data, the bare reference view and the benchmark tooling (no models)."""

    name = "bench"
    verbose_name = "Benchmark"
