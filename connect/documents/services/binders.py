"""The binders of a dossier."""

from django.db import IntegrityError, transaction

from connect.models import Binder, BuiltinBinder
from dossiers.models import Dossier


def binders_ensure(*, dossier: Dossier) -> list[Binder]:
    """The dossier's built-in, locked binders, created on first use (idempotent)."""
    existing = {b.builtin: b for b in Binder.objects.filter(dossier=dossier).exclude(builtin="")}
    for builtin in BuiltinBinder.values:
        if builtin not in existing:
            try:
                with transaction.atomic():
                    existing[builtin] = Binder.objects.create(dossier=dossier, builtin=builtin)
            except IntegrityError:  # created meanwhile by a concurrent request
                existing[builtin] = Binder.objects.get(dossier=dossier, builtin=builtin)
    return [existing[b] for b in BuiltinBinder.values]
