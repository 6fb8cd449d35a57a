"""View's pages: a dossier's dashboard and its data, the accountant's firm dashboard and the
report switches (included in the "portal" namespace, so their names stay ``portal:view_*``)."""

from django.urls import path

from view import views, views_firm

urlpatterns = [
    path("view/dossiers/<uuid:dossier_id>/", views.view_dossier, name="view_dossier"),
    path(
        "view/dossiers/<uuid:dossier_id>/data/<slug:report>.json",
        views.view_dossier_data,
        name="view_dossier_data",
    ),
    path(
        "view/dossiers/<uuid:dossier_id>/data/<slug:report>.csv",
        views.view_dossier_csv,
        name="view_dossier_csv",
    ),
    path("view/firm/", views_firm.view_firm, name="view_firm"),
    path("view/dossiers/<uuid:dossier_id>/reports/", views_firm.view_reports, name="view_reports"),
    path(
        "view/firms/<uuid:firm_id>/reports/",
        views_firm.view_firm_reports,
        name="view_firm_reports",
    ),
]
