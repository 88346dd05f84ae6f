from django.urls import path

from core.views import placeholder

app_name = "progress"
urlpatterns = [
    path("dashboard/", placeholder, name="dashboard"),
    path("instructor/", placeholder, name="instructor_matrix"),
]
