from django.urls import path

from core.views import placeholder

app_name = "papers"
urlpatterns = [
    path("papers/", placeholder, name="paper_list"),
    path("papers/<slug:slug>/", placeholder, name="paper_detail"),
    path("guide/", placeholder, name="guide"),
]
