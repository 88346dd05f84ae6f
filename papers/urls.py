from django.urls import path

from papers import views

app_name = "papers"
urlpatterns = [
    path("papers/", views.paper_list, name="paper_list"),
    path("papers/<slug:slug>/", views.paper_detail, name="paper_detail"),
    path("papers/<slug:slug>/steps/<int:step_id>/toggle/", views.step_toggle, name="step_toggle"),
    path("guide/", views.guide, name="guide"),
]
