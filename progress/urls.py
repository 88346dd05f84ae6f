from django.urls import path

from progress import views

app_name = "progress"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/papers/", views.papers, name="papers"),
    path("instructor/", views.instructor_matrix, name="instructor_matrix"),
    path("instructor/learners/<int:user_id>/", views.learner_detail, name="learner_detail"),
    path("instructor/quizzes/<slug:slug>/", views.quiz_stats, name="quiz_stats"),
    path("instructor/export/progress.csv", views.export_progress, name="export_progress"),
    path("instructor/export/grades.csv", views.export_grades, name="export_grades"),
]
