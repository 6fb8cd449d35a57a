"""API v1 (DESIGN.md §4), what its endpoints share: the JSON shape of a document and its
OpenAPI serializers, the error body, the keyset pages, and the dossier or document a request
may reach (a token restricted to a firm reaches no other firm's)."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from connect.documents.selectors import document_get_for
from connect.facts import FACT_KEYS
from connect.models import Category, Document, Source, Status
from core.errors import ServiceError
from core.pagination import id_cursor_decode, id_cursor_encode
from dossiers.models import Dossier
from dossiers.selectors import dossier_connect_get_for
from users.models import ApiToken

#: Rows per page of the lists (the dossiers, a dossier's documents).
PAGE_SIZE = 100


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


RECOGNIZED_KEYS = (*FACT_KEYS, "confidence")


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


def page_schema(name: str, item: serializers.Serializer) -> serializers.Serializer:
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


def next_url(request: Request, rows: list[Any], size: int) -> str | None:
    if len(rows) <= size:
        return None
    query = request.query_params.copy()
    query["cursor"] = id_cursor_encode(rows[size - 1].pk)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def keyset(queryset: QuerySet[Any], request: Request) -> QuerySet[Any]:
    cursor = request.query_params.get("cursor", "")
    if cursor:
        after = id_cursor_decode(cursor)
        if after is None:
            raise ServiceError(_("The cursor is not valid."), code="cursor_invalid")
        queryset = queryset.filter(pk__gt=after)
    return queryset.order_by("pk")


# --- a token restricted to a firm ----------------------------------------------------------


def token_firm_id(request: Request) -> int | None:
    """The firm the request's token is restricted to (None: no restriction)."""
    token = request.auth
    return token.firm_id if isinstance(token, ApiToken) else None


def _within_token_firm(request: Request, dossier: Dossier) -> Dossier:
    """A dossier of another firm than the token's is not there (404)."""
    firm_id = token_firm_id(request)
    if firm_id is not None and dossier.firm_id != firm_id:
        raise Http404
    return dossier


def dossier_for(request: Request, dossier_id: str) -> Dossier:
    return _within_token_firm(
        request, dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    )


def document_for(request: Request, document_id: str) -> Document:
    document = document_get_for(actor=request.user, public_id=document_id)
    _within_token_firm(request, document.dossier)
    return document
