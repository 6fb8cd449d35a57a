from django.contrib import admin
from django.urls import include, path

from portal import views

portal_patterns = [
    path("", views.home, name="home"),
    path("hub/", views.hub, name="hub"),
    path("language/", views.language_set, name="language"),
    path("portal/", views.portal_home, name="portal"),
    path("portal/firms/<uuid:firm_id>/", views.portal_firm, name="firm"),
    path("portal/firms/<uuid:firm_id>/dossiers/new/", views.dossier_create, name="dossier_create"),
    path("portal/dossiers/<uuid:dossier_id>/", views.dossier_detail, name="dossier"),
    path("view/", views.view_home, name="view"),
    path("view/dossiers/<uuid:dossier_id>/", views.view_dossier, name="view_dossier"),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("connect/", include("connect.urls")),
    path("accounts/", include("users.urls")),
    path("admin/", admin.site.urls),
]
