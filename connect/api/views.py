"""Retrieval and sender API, version 1 (DESIGN.md §4): the accountant's desktop tool lists the
new documents of a dossier, downloads them (one by one or as a zip) and acknowledges them;
a sender uploads through the same receive service as the web."""

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from http import HTTPStatus
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Count, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from zipstream import ZipStream

from connect.api.framework import TokenRateThrottle, UploadRateThrottle
from connect.documents import services
from connect.documents.downloads import DOWNLOAD_BLOCK, stored_file_response
from connect.documents.files import refuse, safe_filename
from connect.documents.reads import document_reads_record, reader_of
from connect.documents.selectors import document_get_for
from connect.documents.services.accountant import require_accountant
from connect.documents.services.receive import missing_facts
from connect.documents.services.review import document_retrieved
from connect.models import Category, ConnectProfile, Document, ReadKind, Source, Status
from core.errors import ServiceError
from core.pagination import id_cursor_decode, id_cursor_encode
from dossiers.models import Dossier, DossierAccess, Role
from dossiers.selectors import dossier_connect_get_for, dossier_connect_list_for
from users.models import ApiToken, User

PAGE_SIZE = 100
#: Bytes read and sent at a time by downloads (Django's default, 4 KB, costs 25 times more
#: Python calls per megabyte).
ZIP_MAX_DOCUMENTS = 1000
#: The statuses a list may ask for: "new" (ready for retrieval) or a lifecycle status.
LIST_STATUSES = ("new", *Status.values)


# --- JSON shapes -----------------------------------------------------------------------------


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def document_json(document: Document, request: Request) -> dict[str, Any]:
    """A document as DESIGN.md §4 describes it."""
    return {
        "id": str(document.public_id),
        "dossier": str(document.dossier.public_id),
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "category": document.category,
        "status": document.status,
        "source": document.source,
        "uploaded_at": document.uploaded_at.isoformat().replace("+00:00", "Z"),
        "uploaded_by": document.uploaded_by.email if document.uploaded_by else None,
        "keyword": document.keyword,
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "amount": _decimal(document.amount),
        "currency": document.currency,
        "paid": document.paid,
        "comment": document.comment,
        "processing_mode": document.processing_mode,
        "recognized": _recognized(document.recognized),
        "duplicate_of": str(document.duplicate_of.public_id) if document.duplicate_of else None,
        "content_url": request.build_absolute_uri(
            reverse("api:document_content", args=[document.public_id])
        ),
    }


RECOGNIZED_KEYS = (
    "supplier_name",
    "supplier_vat",
    "invoice_number",
    "issue_date",
    "due_date",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "payable_amount",
    "currency",
    "iban",
    "structured_reference",
    "confidence",
)


def _recognized(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    """The facts of the contract first, then whatever else was read (source, checks...)."""
    if facts is None:
        return None
    shaped = {key: facts.get(key) for key in RECOGNIZED_KEYS}
    shaped.update({key: value for key, value in facts.items() if key not in shaped})
    return shaped


class RecognizedSerializer(serializers.Serializer):
    supplier_name = serializers.CharField(allow_null=True)
    supplier_vat = serializers.CharField(allow_null=True)
    invoice_number = serializers.CharField(allow_null=True)
    issue_date = serializers.DateField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    total_excl_vat = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    total_vat = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    total_incl_vat = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    payable_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField(allow_null=True)
    iban = serializers.CharField(allow_null=True)
    structured_reference = serializers.CharField(allow_null=True)
    confidence = serializers.DecimalField(max_digits=3, decimal_places=2)


class DocumentSerializer(serializers.Serializer):
    """For the OpenAPI document only: ``document_json`` builds the answers."""

    id = serializers.UUIDField()
    dossier = serializers.UUIDField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.values)
    status = serializers.ChoiceField(choices=Status.values)
    source = serializers.ChoiceField(choices=Source.values)
    uploaded_at = serializers.DateTimeField()
    uploaded_by = serializers.EmailField(allow_null=True)
    keyword = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    paid = serializers.BooleanField()
    comment = serializers.CharField()
    processing_mode = serializers.CharField()
    recognized = RecognizedSerializer(allow_null=True)
    duplicate_of = serializers.UUIDField(allow_null=True)
    content_url = serializers.URLField()


class UploadedSerializer(DocumentSerializer):
    duplicate = serializers.BooleanField()


def _page_schema(name: str, item: serializers.Serializer) -> serializers.Serializer:
    return inline_serializer(
        name, {"results": serializers.ListField(child=item), "next": serializers.URLField()}
    )


ERROR = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorBody", {"code": serializers.CharField(), "message": serializers.CharField()}
        )
    },
)


def _next_url(request: Request, rows: list[Any], size: int) -> str | None:
    if len(rows) <= size:
        return None
    query = request.query_params.copy()
    query["cursor"] = id_cursor_encode(rows[size - 1].pk)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _keyset(queryset: QuerySet[Any], request: Request) -> QuerySet[Any]:
    cursor = request.query_params.get("cursor", "")
    if cursor:
        after = id_cursor_decode(cursor)
        if after is None:
            raise ServiceError(_("The cursor is not valid."), code="cursor_invalid")
        queryset = queryset.filter(pk__gt=after)
    return queryset.order_by("pk")


# --- a token restricted to a firm ----------------------------------------------------------


def _token_firm_id(request: Request) -> int | None:
    """The firm the request's token is restricted to (None: no restriction)."""
    token = request.auth
    return token.firm_id if isinstance(token, ApiToken) else None


def _within_token_firm(request: Request, dossier: Dossier) -> Dossier:
    """A dossier of another firm than the token's is not there (404)."""
    firm_id = _token_firm_id(request)
    if firm_id is not None and dossier.firm_id != firm_id:
        raise Http404
    return dossier


def _dossier_for(request: Request, dossier_id: str) -> Dossier:
    return _within_token_firm(
        request, dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    )


def _document_for(request: Request, document_id: str) -> Document:
    document = document_get_for(actor=request.user, public_id=document_id)
    _within_token_firm(request, document.dossier)
    return document


# --- views -----------------------------------------------------------------------------------


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
            if _token_firm_id(request) in (None, m.firm_id)
        ]
        return Response({"winbooks_id": user.email, "language": user.language, "firms": firms})


class DossierListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str, required=False)],
        responses=_page_schema(
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
        if (firm_id := _token_firm_id(request)) is not None:
            visible = visible.filter(firm_id=firm_id)
        dossiers = list(_keyset(visible, request)[: PAGE_SIZE + 1])
        page = dossiers[:PAGE_SIZE]
        as_accountant = set(
            DossierAccess.objects.filter(
                user=user, role=Role.CONNECT_ACCOUNTANT, dossier__in=page
            ).values_list("dossier_id", flat=True)
        )
        counts = dict(
            new_documents(Document.objects.filter(dossier_id__in=as_accountant))
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
        return Response({"results": results, "next": _next_url(request, dossiers, PAGE_SIZE)})


def new_documents(documents: QuerySet[Document]) -> QuerySet[Document]:
    """Ready for retrieval: sent (or validated) and through the processing mode's pipeline."""
    return documents.filter(
        status__in=(Status.SENT, Status.VALIDATED), ready_at__isnull=False
    ).exclude(source=Source.SHARED)


def _documents_for_status(actor: User, dossier: Dossier, wanted: str) -> QuerySet[Document]:
    if wanted not in LIST_STATUSES:
        raise ServiceError(
            _("Unknown status: choose new or one of %(statuses)s.")
            % {"statuses": ", ".join(Status.values)},
            code="status_invalid",
        )
    documents = Document.objects.filter(dossier=dossier)
    if wanted == "new":
        return new_documents(documents)
    if wanted == Status.DRAFT:
        # A client's desk is theirs until they send.
        return documents.none()
    return documents.filter(status=wanted)


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
        responses={200: _page_schema("DocumentPage", DocumentSerializer()), 403: ERROR, 404: ERROR},
    )
    def get(self, request: Request, dossier_id: str) -> Response:
        user: User = request.user
        dossier = _dossier_for(request, dossier_id)
        require_accountant(user, dossier)  # a client: 403
        documents = _documents_for_status(user, dossier, request.query_params.get("status", "new"))
        rows = list(
            _keyset(documents, request).select_related("dossier", "uploaded_by", "duplicate_of")[
                : PAGE_SIZE + 1
            ]
        )
        return Response(
            {
                "results": [document_json(d, request) for d in rows[:PAGE_SIZE]],
                "next": _next_url(request, rows, PAGE_SIZE),
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
        dossier = _dossier_for(request, dossier_id)
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
            missing = missing_facts(wanting, ConnectProfile.objects.filter(dossier=dossier).first())
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
        document = _document_for(request, document_id)
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
        document = _document_for(request, document_id)
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
        document = _document_for(request, document_id)
        # The service checks the role: a client of the dossier gets 403 (forbidden).
        document = document_retrieved(actor=user, document=document)
        document = Document.objects.select_related("dossier", "uploaded_by", "duplicate_of").get(
            pk=document.pk
        )
        return Response(document_json(document, request))


def _stored_bytes(storage_name: str) -> Iterator[bytes]:
    """Opened only when the zip reaches this file: one file open at a time."""
    with default_storage.open(storage_name, "rb") as handle:
        while chunk := handle.read(DOWNLOAD_BLOCK):
            yield chunk


def zip_name(document: Document) -> str:
    name = PurePosixPath(safe_filename(document.filename))
    return f"{name.stem[:80]}_{document.public_id.hex[:8]}{name.suffix}"


def zip_response(
    documents: list[Document], filename: str, extra: Iterable[tuple[bytes, str]] = ()
) -> StreamingHttpResponse:
    """The documents' files in one zip, streamed (each file read when the zip reaches it), and
    ``extra`` files (bytes, name) after them. The caller records the reads."""
    stream = ZipStream(sized=True)
    for document in documents:
        stream.add(_stored_bytes(document.storage_name), zip_name(document), size=document.size)
    for data, name in extra:
        stream.add(data, name)
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Length"] = str(len(stream))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DossierZipView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=list(LIST_STATUSES), required=False)],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, 403: ERROR, 404: ERROR},
    )
    def get(self, request: Request, dossier_id: str) -> HttpResponseBase:
        user: User = request.user
        dossier = _dossier_for(request, dossier_id)
        require_accountant(user, dossier)  # a client: 403
        documents = _documents_for_status(user, dossier, request.query_params.get("status", "new"))
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
