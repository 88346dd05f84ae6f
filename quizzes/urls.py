from django.urls import path

from core.views import placeholder

app_name = "quizzes"
urlpatterns = [
    path("<slug:slug>/", placeholder, name="quiz_detail"),
    path("attempts/<int:pk>/", placeholder, name="attempt_detail"),
]
