"""Connect for the accountant: the firm's supplier memory, seen and forgotten
(docs/recognition-memory.md)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect.documents.forms import SupplierMemorySearchForm
from connect.documents.selectors import (
    supplier_memory_firms_for,
    supplier_memory_get_for,
    supplier_memory_list_for,
)
from connect.documents.services.memory import supplier_memory_forget
from connect.documents.words import FACT_LABELS
from connect.models import Relation, SupplierMemory
from core.errors import ServiceError
from users.types import AuthedRequest


@login_required
def supplier_memories(request: AuthedRequest) -> HttpResponse:
    """The supplier memories of the firms where the user keeps dossiers as accountant (or is
    licence admin): per supplier, each remembered fact, its label and position, and how it
    fared."""
    firms = list(supplier_memory_firms_for(actor=request.user))
    if not firms:
        raise Http404
    form = SupplierMemorySearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_bound and form.is_valid() else ""
    page = supplier_memory_list_for(
        actor=request.user, query=query, cursor=request.GET.get("cursor", "")[:200]
    )
    next_url = None
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        next_url = "?" + params.urlencode()
    return render(
        request,
        "connect/supplier_memories.html",
        {
            "form": form,
            "several_firms": len(firms) > 1,
            "memories": [_memory_row(memory) for memory in page.memories],
            "next_url": next_url,
        },
    )


def _memory_row(memory: SupplierMemory) -> dict[str, Any]:
    relations = {value: str(label) for value, label in Relation.choices}
    return {
        "memory": memory,
        "facts": [
            {
                "label": FACT_LABELS.get(fact.fact, fact.fact),
                "printed": fact.label,
                "position": relations.get(fact.relation, fact.relation),
                "used": fact.used,
                "held": fact.held,
                "missed": fact.missed,
                "taught": fact.taught,
                "confidence": round(fact.confidence * 100),
            }
            for fact in memory.facts.all()
        ],
    }


@login_required
@require_POST
def supplier_memory_forget_view(request: AuthedRequest, memory_id: str) -> HttpResponse:
    memory = supplier_memory_get_for(actor=request.user, public_id=memory_id)
    try:
        supplier_memory_forget(actor=request.user, memory=memory)
    except ServiceError:
        raise Http404 from None
    messages.success(
        request,
        _("The memory of %(supplier)s is forgotten: its next invoices are read as new.")
        % {"supplier": memory.name or memory.vat or memory.iban},
    )
    return redirect("connect:supplier_memories")
