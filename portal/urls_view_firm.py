"""View: the accountant's firm dashboard and the report switches (included in the "portal"
namespace)."""

from django.urls import path

from portal import views_firm_dashboard as views

urlpatterns = [
    path("view/firm/", views.view_firm, name="view_firm"),
    path("view/dossiers/<uuid:dossier_id>/reports/", views.view_reports, name="view_reports"),
    path("view/firms/<uuid:firm_id>/reports/", views.view_firm_reports, name="view_firm_reports"),
]
