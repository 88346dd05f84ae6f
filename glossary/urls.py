from django.urls import path

from core.views import placeholder

app_name = "glossary"
urlpatterns = [
    path("", placeholder, name="term_list"),
    path("review/", placeholder, name="review"),
    path("<str:slug>/", placeholder, name="term_detail"),
]
