"""The site's URLs plus the bench's reference views, as a server with BENCH_MODE=1 has them."""

from django.urls import path

from bench import views
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *site_urlpatterns,
    path("bench/bare/", views.bare, name="bench_bare"),
    path("bench/floor/", views.floor, name="bench_floor"),
]
