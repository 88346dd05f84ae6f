from django.urls import path

from quizzes import views

app_name = "quizzes"
urlpatterns = [
    # Fixed words first: a quiz slug could otherwise shadow them.
    path("grading/", views.grading_queue, name="grading_queue"),
    path("grading/responses/<int:pk>/", views.response_grade, name="response_grade"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt_detail"),
    path("attempts/<int:pk>/save/", views.attempt_save, name="attempt_save"),
    path("attempts/<int:pk>/questions/<int:question_id>/save/", views.attempt_autosave, name="attempt_autosave"),
    path("attempts/<int:pk>/submit/", views.attempt_confirm, name="attempt_confirm"),
    path("attempts/<int:pk>/submit/confirm/", views.attempt_submit, name="attempt_submit"),
    path("attempts/<int:pk>/responses/<int:response_id>/rate/", views.response_rate, name="response_rate"),
    path("<slug:slug>/", views.quiz_detail, name="quiz_detail"),
    path("<slug:slug>/start/", views.attempt_start, name="attempt_start"),
    path("<slug:slug>/stats/", views.quiz_stats, name="quiz_stats"),
    path("<slug:slug>/regrade/", views.quiz_regrade, name="quiz_regrade"),
    path("<slug:slug>/export.gift.txt", views.quiz_export_gift, name="quiz_export_gift"),
]
