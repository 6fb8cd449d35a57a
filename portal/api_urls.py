"""API v1 routes (DESIGN.md §4)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from connect import api

urlpatterns = [
    path("me", api.MeView.as_view(), name="me"),
    path("dossiers", api.DossierListView.as_view(), name="dossiers"),
    path(
        "dossiers/<str:dossier_id>/documents",
        api.DossierDocumentsView.as_view(),
        name="dossier_documents",
    ),
    path(
        "dossiers/<str:dossier_id>/documents.zip",
        api.DossierZipView.as_view(),
        name="dossier_documents_zip",
    ),
    path("documents/<str:document_id>", api.DocumentView.as_view(), name="document"),
    path(
        "documents/<str:document_id>/content",
        api.DocumentContentView.as_view(),
        name="document_content",
    ),
    path(
        "documents/<str:document_id>/retrieved",
        api.DocumentRetrievedView.as_view(),
        name="document_retrieved",
    ),
    path(
        "schema",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
]
