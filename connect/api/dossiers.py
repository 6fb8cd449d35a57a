"""API v1 (DESIGN.md §4), the user's and the dossiers' endpoints: who the token's user is, the
dossiers they reach (with their count of new documents), and a dossier's documents as one zip
(streamed by connect.documents.zips, as the inbox's bulk download)."""

import json

from django.db.models import Count
from django.http import HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connect.api.selectors import LIST_STATUSES, documents_for_status
from connect.api.shapes import (
    ERROR,
    PAGE_SIZE,
    document_json,
    dossier_for,
    keyset,
    next_url,
    page_schema,
    token_firm_id,
)
from connect.documents.files import safe_filename
from connect.documents.reads import document_reads_record, reader_of
from connect.documents.selectors import new_documents
from connect.documents.services.accountant import require_accountant
from connect.documents.zips import zip_name, zip_response
from connect.models import Document, ReadKind
from dossiers.models import DossierAccess, Role
from dossiers.selectors import dossier_connect_list_for
from users.models import User

#: At most this many documents in one zip (``X-More-Documents`` tells of the others).
ZIP_MAX_DOCUMENTS = 1000


class MeView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "winbooks_id": serializers.EmailField(),
                "language": serializers.CharField(),
                "firms": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        user: User = request.user
        firms = [
            {"id": str(m.firm.public_id), "name": m.firm.name, "level": m.level}
            for m in user.memberships.active().select_related("firm").order_by("firm__name")
            if token_firm_id(request) in (None, m.firm_id)
        ]
        return Response({"winbooks_id": user.email, "language": user.language, "firms": firms})


class DossierListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str, required=False)],
        responses=page_schema(
            "DossierPage",
            inline_serializer(
                "Dossier",
                {
                    "id": serializers.UUIDField(),
                    "code": serializers.CharField(),
                    "name": serializers.CharField(),
                    "firm": serializers.CharField(),
                    "connect_enabled": serializers.BooleanField(),
                    "processing_mode": serializers.CharField(),
                    "new_documents": serializers.IntegerField(),
                },
            ),
        ),
    )
    def get(self, request: Request) -> Response:
        user: User = request.user
        visible = dossier_connect_list_for(actor=user).select_related("firm")
        if (firm_id := token_firm_id(request)) is not None:
            visible = visible.filter(firm_id=firm_id)
        dossiers = list(keyset(visible, request)[: PAGE_SIZE + 1])
        page = dossiers[:PAGE_SIZE]
        as_accountant = set(
            DossierAccess.objects.filter(
                user=user, role=Role.CONNECT_ACCOUNTANT, dossier__in=page
            ).values_list("dossier_id", flat=True)
        )
        counts = dict(
            new_documents(Document.objects.visible_to(user).filter(dossier_id__in=as_accountant))
            .values("dossier_id")
            .annotate(count=Count("id"))
            .values_list("dossier_id", "count")
        )
        results = [
            {
                "id": str(d.public_id),
                "code": d.code,
                "name": d.name,
                "firm": d.firm.name,
                "connect_enabled": d.connect_enabled,
                "processing_mode": d.default_processing_mode,
                "new_documents": counts.get(d.pk, 0),
            }
            for d in page
        ]
        return Response({"results": results, "next": next_url(request, dossiers, PAGE_SIZE)})


class DossierZipView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=list(LIST_STATUSES), required=False)],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, 403: ERROR, 404: ERROR},
    )
    def get(self, request: Request, dossier_id: str) -> HttpResponseBase:
        user: User = request.user
        dossier = dossier_for(request, dossier_id)
        require_accountant(user, dossier)  # a client: 403
        documents = documents_for_status(user, dossier, request.query_params.get("status", "new"))
        rows = list(
            documents.select_related("dossier", "uploaded_by", "duplicate_of").order_by("pk")[
                : ZIP_MAX_DOCUMENTS + 1
            ]
        )
        more = len(rows) > ZIP_MAX_DOCUMENTS
        rows = rows[:ZIP_MAX_DOCUMENTS]
        manifest = [document_json(d, request) | {"path": zip_name(d)} for d in rows]
        summary = json.dumps({"dossier": dossier.code, "documents": manifest}, indent=2)
        response = zip_response(
            rows,
            f"{safe_filename(dossier.code)}_{timezone.localdate():%Y-%m-%d}.zip",
            extra=[(summary.encode(), "manifest.json")],
        )
        response["X-More-Documents"] = "true" if more else "false"
        # One row per document, written before the first byte of the zip leaves.
        document_reads_record(reader=reader_of(request), documents=rows, how=ReadKind.API_ZIP)
        return response
