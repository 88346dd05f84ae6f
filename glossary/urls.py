from django.urls import path

from glossary import views

app_name = "glossary"
urlpatterns = [
    path("", views.term_list, name="term_list"),
    path("review/", views.review, name="review"),
    path("review/<int:card_id>/reveal/", views.review_reveal, name="review_reveal"),
    path("review/<int:card_id>/rate/", views.review_rate, name="review_rate"),
    path("deck/", views.deck, name="deck"),
    path("deck/add/<str:slug>/", views.deck_add_term, name="deck_add_term"),
    path("deck/remove/<str:slug>/", views.deck_remove_term, name="deck_remove_term"),
    path("deck/add-paper/<str:slug>/", views.deck_add_paper, name="deck_add_paper"),
    path("papers/options/", views.paper_options, name="paper_options"),
    path("<str:slug>/", views.term_detail, name="term_detail"),
    path("<str:slug>/preview/", views.term_preview, name="term_preview"),
]
