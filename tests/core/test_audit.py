"""The audit trail (core/audit.py): appended by any app, in the system's scope, with only the
values that changed."""

import pytest

from core import db_scope
from core.audit import audit_changes, audit_record
from core.models import AuditAction, AuditEvent
from tests.factories import DossierFactory, FirmFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_only_the_changed_values_are_recorded_and_nothing_when_none_changed() -> None:
    firm = FirmFactory()
    dossier = DossierFactory(firm=firm)
    actor = UserFactory()
    before = {"name": "Dupont", "vat": "BE0123", "mode": "auto"}
    same = audit_changes(
        firm=firm, actor=actor, action=AuditAction.DOSSIER_CHANGED, before=before, after=before
    )
    assert same is None
    event = audit_changes(
        firm=firm,
        actor=actor,
        action=AuditAction.DOSSIER_CHANGED,
        dossier=dossier,
        before=before,
        after={"name": "Dupont SRL", "vat": "BE0123", "mode": "manual"},
    )
    assert event is not None
    with db_scope.system():
        stored = AuditEvent.objects.get()
    assert stored.pk == event.pk
    assert (stored.firm, stored.dossier, stored.actor) == (firm, dossier, actor)
    assert stored.before == {"name": "Dupont", "mode": "auto"}
    assert stored.after == {"name": "Dupont SRL", "mode": "manual"}


def test_a_visitor_without_scope_still_appends_to_the_trail() -> None:
    """Appending is the system's act: a request with no firm in its scope (a visitor accepting
    an invitation) writes its event, and then cannot read the trail."""
    firm = FirmFactory()
    person = UserFactory()
    with db_scope.scoped(db_scope.NONE):
        audit_record(
            firm=firm, actor=None, action=AuditAction.INVITATION_ACCEPTED, subject_user=person
        )
        assert not AuditEvent.objects.exists()
    with db_scope.system():
        event = AuditEvent.objects.get()
    assert (event.firm, event.actor, event.subject_user) == (firm, None, person)
    assert (event.before, event.after) == ({}, {})
