"""Writes of the documents (Connect). One module per concern; the usual entry points are here."""

from connect.documents.profiles import profile_for
from connect.documents.services.accountant import (
    document_book,
    document_reject,
    document_share,
    document_validate,
    profile_update,
    require_accountant,
)
from connect.documents.services.binders import binders_ensure
from connect.documents.services.desk import document_delete, document_replace
from connect.documents.services.documents import binder_create, document_update, documents_send
from connect.documents.services.receive import ReceiveResult, document_receive
from connect.documents.services.review import (
    document_correct_facts,
    document_mode_set,
    document_retrieved,
    document_review,
)

__all__ = [
    "ReceiveResult",
    "binder_create",
    "binders_ensure",
    "document_book",
    "document_correct_facts",
    "document_delete",
    "document_mode_set",
    "document_receive",
    "document_reject",
    "document_replace",
    "document_retrieved",
    "document_review",
    "document_share",
    "document_update",
    "document_validate",
    "documents_send",
    "profile_for",
    "profile_update",
    "require_accountant",
]
