"""One way to fetch a row by the public id in a URL: missing, foreign and malformed ids all
answer the same 404 (the queryset given is already scoped to the acting user)."""

import uuid
from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def as_uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise Http404 from None


def get_or_404(queryset: QuerySet[M], public_id: object) -> M:
    """The row with this public id in ``queryset``; missing, foreign or malformed: 404."""
    try:
        return queryset.get(public_id=as_uuid(public_id))
    except ObjectDoesNotExist:
        raise Http404 from None
