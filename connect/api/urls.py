"""API v1 routes (DESIGN.md §4)."""

from django.urls import path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from connect.api import documents, dossiers
from connect.api.framework import error_response


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
def not_found(request: Request, path: str = "") -> Response:
    """Any other path under /api/v1/: a 404 in the API's error format (not an HTML page)."""
    return error_response("not_found", _("Not found."), 404)


urlpatterns = [
    path("me", dossiers.MeView.as_view(), name="me"),
    path("dossiers", dossiers.DossierListView.as_view(), name="dossiers"),
    path(
        "dossiers/<str:dossier_id>/documents",
        documents.DossierDocumentsView.as_view(),
        name="dossier_documents",
    ),
    path(
        "dossiers/<str:dossier_id>/documents.zip",
        dossiers.DossierZipView.as_view(),
        name="dossier_documents_zip",
    ),
    path("documents/<str:document_id>", documents.DocumentView.as_view(), name="document"),
    path(
        "documents/<str:document_id>/content",
        documents.DocumentContentView.as_view(),
        name="document_content",
    ),
    path(
        "documents/<str:document_id>/retrieved",
        documents.DocumentRetrievedView.as_view(),
        name="document_retrieved",
    ),
    path(
        "schema",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    re_path(r"^(?P<path>.*)$", not_found, name="not_found"),
]
