"""View: a dossier's dashboard and its data (included in the "portal" namespace)."""

from django.urls import path

from portal import views_dashboard

urlpatterns = [
    path("view/dossiers/<uuid:dossier_id>/", views_dashboard.view_dossier, name="view_dossier"),
    path(
        "view/dossiers/<uuid:dossier_id>/data/<slug:report>.json",
        views_dashboard.view_dossier_data,
        name="view_dossier_data",
    ),
    path(
        "view/dossiers/<uuid:dossier_id>/data/<slug:report>.csv",
        views_dashboard.view_dossier_csv,
        name="view_dossier_csv",
    ),
]
