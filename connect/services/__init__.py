"""Writes of Connect. One module per concern; import from here."""

from connect.services.binders import binders_ensure
from connect.services.receive import ReceiveResult, document_receive

__all__ = ["ReceiveResult", "binders_ensure", "document_receive"]
