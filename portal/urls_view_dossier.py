"""View: a dossier's dashboard and its data (included in the "portal" namespace)."""

from django.urls import path

from portal import views

urlpatterns = [
    path("view/dossiers/<uuid:dossier_id>/", views.view_dossier, name="view_dossier"),
]
