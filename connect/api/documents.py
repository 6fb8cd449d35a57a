"""API v1 (DESIGN.md §4), the documents' endpoints: a dossier's documents listed and uploaded
(through the same receive service as the web), a document's facts and file, and its
acknowledgement by the accountant's desktop tool."""

from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse, HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connect.api.framework import TokenRateThrottle, UploadRateThrottle
from connect.api.selectors import LIST_STATUSES, documents_for_status
from connect.api.shapes import (
    ERROR,
    PAGE_SIZE,
    DocumentSerializer,
    UploadedSerializer,
    document_for,
    document_json,
    dossier_for,
    keyset,
    next_url,
    page_schema,
)
from connect.documents import services
from connect.documents.downloads import stored_file_response
from connect.documents.files import refuse
from connect.documents.profiles import profile_of
from connect.documents.reads import document_reads_record, reader_of
from connect.documents.services.accountant import require_accountant
from connect.documents.services.receive import missing_facts
from connect.documents.services.review import document_retrieved
from connect.models import Category, Document, ReadKind, Source, Status
from core.errors import ServiceError
from users.models import User


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    category = serializers.ChoiceField(
        choices=Category.values, required=False, default=Category.PURCHASE_INVOICE
    )
    keyword = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    paid = serializers.BooleanField(required=False, default=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    send = serializers.BooleanField(required=False, default=False)


class DossierDocumentsView(APIView):
    throttle_classes = [TokenRateThrottle, UploadRateThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=list(LIST_STATUSES), required=False),
            OpenApiParameter("cursor", str, required=False),
        ],
        responses={200: page_schema("DocumentPage", DocumentSerializer()), 403: ERROR, 404: ERROR},
    )
    def get(self, request: Request, dossier_id: str) -> Response:
        user: User = request.user
        dossier = dossier_for(request, dossier_id)
        require_accountant(user, dossier)  # a client: 403
        documents = documents_for_status(user, dossier, request.query_params.get("status", "new"))
        rows = list(
            keyset(documents, request).select_related("dossier", "uploaded_by", "duplicate_of")[
                : PAGE_SIZE + 1
            ]
        )
        return Response(
            {
                "results": [document_json(d, request) for d in rows[:PAGE_SIZE]],
                "next": next_url(request, rows, PAGE_SIZE),
            }
        )

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={
            200: UploadedSerializer,
            201: UploadedSerializer,
            400: ERROR,
            413: ERROR,
            415: ERROR,
        },
    )
    def post(self, request: Request, dossier_id: str) -> Response:
        user: User = request.user
        dossier = dossier_for(request, dossier_id)
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.CONNECT_MAX_UPLOAD_SIZE + 2**20:
            raise _too_large()
        if len(request.FILES.getlist("file")) > 1:
            raise ServiceError(_("Send one file per request."), code="too_many_files")
        form = UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if data["send"]:
            # Refused before anything is stored: a retry with the facts is a clean upload.
            wanting = Document(due_date=data["due_date"], amount=data["amount"])
            missing = missing_facts(wanting, profile_of(dossier))
            if missing:
                raise ServiceError(
                    _("The document cannot be sent without its %(facts)s.")
                    % {"facts": ", ".join(missing)},
                    code="facts_required",
                )
        upload = data["file"]
        result = services.document_receive(
            dossier=dossier,
            actor=user,
            filename=upload.name or "document",
            chunks=upload.chunks(),
            source=Source.API,
            category=data["category"],
            keyword=data["keyword"],
            due_date=data["due_date"],
            amount=data["amount"],
            paid=data["paid"],
            comment=data["comment"],
        )
        document = result.document
        if data["send"] and document.status in (Status.DRAFT, Status.REJECTED):
            # Also for a retry whose first attempt stored the file but did not send it.
            services.documents_send(actor=user, dossier=dossier, documents=[document])
            document.refresh_from_db()
        body = document_json(document, request) | {"duplicate": result.duplicate}
        return Response(body, status=200 if result.duplicate else 201)


def _too_large() -> ServiceError:
    return refuse(
        _("The file is larger than %(limit)s.")
        % {"limit": filesizeformat(settings.CONNECT_MAX_UPLOAD_SIZE)},
        "too_large",
        413,
    )


class DocumentView(APIView):
    @extend_schema(responses={200: DocumentSerializer, 404: ERROR})
    def get(self, request: Request, document_id: str) -> Response:
        document = document_for(request, document_id)
        body = document_json(document, request)
        document_reads_record(
            reader=reader_of(request), documents=[document], how=ReadKind.API_DOCUMENT
        )
        return Response(body)


def _content_response(document: Document, request: Request) -> HttpResponseBase:
    etag = f'"{document.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponseBase = HttpResponse(status=304)
    else:
        response = stored_file_response(
            document.storage_name,
            content_type=document.content_type,
            filename=document.filename,
            as_attachment=True,
            size=document.size,
        )
    response["ETag"] = etag
    response["X-Content-SHA256"] = document.sha256
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-transform"
    return response


class DocumentContentView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ERROR})
    def get(self, request: Request, document_id: str) -> HttpResponseBase:
        document = document_for(request, document_id)
        response = _content_response(document, request)
        if response.status_code != HTTPStatus.NOT_MODIFIED:  # 304: nothing was sent
            document_reads_record(
                reader=reader_of(request), documents=[document], how=ReadKind.API_CONTENT
            )
        return response


class DocumentRetrievedView(APIView):
    @extend_schema(
        request=None, responses={200: DocumentSerializer, 403: ERROR, 404: ERROR, 409: ERROR}
    )
    def post(self, request: Request, document_id: str) -> Response:
        user: User = request.user
        document = document_for(request, document_id)
        # The service checks the role: a client of the dossier gets 403 (forbidden).
        document = document_retrieved(actor=user, document=document)
        document = (
            Document.objects.visible_to(user)
            .select_related("dossier", "uploaded_by", "duplicate_of")
            .get(pk=document.pk)
        )
        return Response(document_json(document, request))
