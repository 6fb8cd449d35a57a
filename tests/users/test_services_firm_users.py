"""Creating and editing the firm's users, and their invitations (services)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.errors import ServiceError
from core.models import AuditAction, AuditEvent, OutboundEmail
from dossiers import firm_users, invitations
from dossiers.models import Dossier, DossierAccess, Firm, FirmLevel, FirmMembership, Invitation
from tests.factories import DossierFactory, MembershipFactory, UserFactory
from users.models import User


def invite(firm: Firm, actor: User, dossier: Dossier, **overrides: object) -> User:
    values: dict = {
        "email": "nouveau@client.be",
        "first_name": "Nina",
        "last_name": "Nouveau",
        "language": "nl",
        "level": FirmLevel.USER,
        "accesses": {dossier: {"connect.entrepreneur"}},
        "send_email": False,
    }
    values.update(overrides)
    return firm_users.user_invite(firm=firm, actor=actor, **values)


def test_a_user_is_created_with_membership_roles_and_audit(
    firm: Firm, licence_admin: User, dossier: Dossier
) -> None:
    user = invite(firm, licence_admin, dossier)
    assert (user.email, user.language, user.is_active) == ("nouveau@client.be", "nl", True)
    assert not user.has_usable_password()
    assert FirmMembership.objects.get(user=user, firm=firm).level == FirmLevel.USER
    assert set(DossierAccess.objects.filter(user=user).values_list("role", flat=True)) == {
        "connect.entrepreneur"
    }
    actions = list(AuditEvent.objects.filter(subject_user=user).values_list("action", flat=True))
    assert sorted(actions) == sorted([AuditAction.USER_CREATED, AuditAction.ROLES_CHANGED])
    event = AuditEvent.objects.get(action=AuditAction.ROLES_CHANGED, subject_user=user)
    assert (event.actor, event.dossier, event.before, event.after) == (
        licence_admin,
        dossier,
        {"roles": []},
        {"roles": ["connect.entrepreneur"]},
    )


def test_an_existing_identity_is_linked_not_duplicated(
    firm: Firm, other_firm: Firm, licence_admin: User, dossier: Dossier
) -> None:
    known = MembershipFactory(
        firm=other_firm,
        user__email="known@person.be",
        user__first_name="Karel",
        user__language="de",
    ).user
    linked = invite(
        firm, licence_admin, dossier, email="KNOWN@person.be", first_name="Other", language="fr"
    )
    assert linked.pk == known.pk
    assert User.objects.filter(email="known@person.be").count() == 1
    known.refresh_from_db()
    assert (known.first_name, known.language) == ("Karel", "de")  # their identity is theirs
    assert set(known.memberships.values_list("firm__name", flat=True)) == {
        firm.name,
        other_firm.name,
    }
    assert AuditEvent.objects.filter(action=AuditAction.USER_LINKED, firm=firm).exists()
    # Nothing of the other firm appears in this firm's trail.
    assert not AuditEvent.objects.filter(firm=other_firm).exists()


def test_a_member_of_the_firm_cannot_be_created_twice(
    firm: Firm, licence_admin: User, dossier: Dossier, client_user: User
) -> None:
    with pytest.raises(ServiceError) as excinfo:
        invite(firm, licence_admin, dossier, email=client_user.email)
    assert excinfo.value.field == "email"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"email": "not an email"}, "email_invalid"),
        ({"accesses": {}}, "access_required"),
        ({"language": "es"}, "language_invalid"),
        ({"level": "owner"}, "level_invalid"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(
    firm: Firm, licence_admin: User, dossier: Dossier, overrides: dict, code: str
) -> None:
    before = (
        User.objects.count(),
        FirmMembership.objects.count(),
        DossierAccess.objects.count(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(ServiceError) as excinfo:
        invite(firm, licence_admin, dossier, **overrides)
    assert excinfo.value.code == code
    assert (
        User.objects.count(),
        FirmMembership.objects.count(),
        DossierAccess.objects.count(),
        AuditEvent.objects.count(),
    ) == before


def test_no_role_on_a_dossier_is_the_same_as_no_dossier(
    firm: Firm, licence_admin: User, dossier: Dossier
) -> None:
    with pytest.raises(ServiceError) as excinfo:
        invite(firm, licence_admin, dossier, accesses={dossier: set()})
    assert excinfo.value.code == "access_required"


def test_a_dossier_of_another_firm_is_refused(
    firm: Firm, licence_admin: User, dossier: Dossier, other_dossier: Dossier
) -> None:
    with pytest.raises(ServiceError) as excinfo:
        invite(
            firm,
            licence_admin,
            dossier,
            accesses={dossier: {"view.user"}, other_dossier: {"view.user"}},
        )
    assert excinfo.value.code == "dossier_foreign"
    assert not User.objects.filter(email="nouveau@client.be").exists()


def test_an_unknown_role_is_refused(firm: Firm, licence_admin: User, dossier: Dossier) -> None:
    with pytest.raises(ServiceError):
        invite(firm, licence_admin, dossier, accesses={dossier: {"connect.owner"}})


def test_staff_may_hold_no_role(firm: Firm, licence_admin: User, dossier: Dossier) -> None:
    user = invite(firm, licence_admin, dossier, level=FirmLevel.POWER_USER, accesses={})
    assert FirmMembership.objects.get(user=user).level == FirmLevel.POWER_USER


def test_a_power_user_may_create_clients_only(
    firm: Firm, accountant: User, dossier: Dossier
) -> None:
    for level in (FirmLevel.POWER_USER, FirmLevel.LICENCE_ADMIN):
        with pytest.raises(ServiceError) as excinfo:
            invite(firm, accountant, dossier, level=level)
        assert excinfo.value.code == "level_forbidden"
    assert invite(firm, accountant, dossier).memberships.get().level == FirmLevel.USER


def test_clients_and_other_firms_cannot_manage_users(
    firm: Firm, dossier: Dossier, client_user: User, other_staff: User
) -> None:
    for actor in (client_user, other_staff):
        with pytest.raises(ServiceError) as excinfo:
            invite(firm, actor, dossier)
        assert excinfo.value.code == "forbidden"


def test_update_changes_names_language_level_roles_with_before_and_after(
    firm: Firm, licence_admin: User, dossier: Dossier, client_user: User
) -> None:
    second = DossierFactory(firm=firm, code="ALPHA2")
    firm_users.user_update(
        firm=firm,
        actor=licence_admin,
        user=client_user,
        first_name="Claire",
        last_name="Client",
        language="de",
        level=FirmLevel.USER,
        active=True,
        accesses={dossier: {"view.user"}, second: {"connect.entrepreneur", "view.user"}},
    )
    client_user.refresh_from_db()
    assert (client_user.first_name, client_user.language) == ("Claire", "de")
    roles = set(DossierAccess.objects.filter(user=client_user).values_list("dossier__code", "role"))
    assert roles == {
        ("ALPHA1", "view.user"),
        ("ALPHA2", "connect.entrepreneur"),
        ("ALPHA2", "view.user"),
    }
    changed = AuditEvent.objects.get(
        action=AuditAction.ROLES_CHANGED, dossier=dossier, subject_user=client_user
    )
    assert changed.before == {"roles": ["connect.entrepreneur", "view.user"]}
    assert changed.after == {"roles": ["view.user"]}
    identity = AuditEvent.objects.get(action=AuditAction.USER_CHANGED)
    assert identity.before["language"] == "fr" and identity.after["language"] == "de"


def test_deactivation_blocks_login_revokes_links_and_keeps_the_rows(
    firm: Firm, licence_admin: User, dossier: Dossier, client_user: User
) -> None:
    invitation = invitations.invitation_send(actor=licence_admin, firm=firm, user=client_user)
    firm_users.user_update(
        firm=firm,
        actor=licence_admin,
        user=client_user,
        first_name="",
        last_name="",
        language="fr",
        level=FirmLevel.USER,
        active=False,
        accesses={dossier: {"connect.entrepreneur", "view.user"}},
    )
    client_user.refresh_from_db()
    invitation.refresh_from_db()
    assert not client_user.is_active  # no other firm keeps them: they cannot log in
    assert invitation.status == "revoked"
    assert DossierAccess.objects.filter(user=client_user).count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED).exists()


def test_deactivation_in_one_firm_leaves_the_other_firm_open(
    firm: Firm, other_firm: Firm, licence_admin: User, dossier: Dossier, client_user: User
) -> None:
    MembershipFactory(user=client_user, firm=other_firm)
    firm_users.user_update(
        firm=firm,
        actor=licence_admin,
        user=client_user,
        first_name=client_user.first_name,
        last_name=client_user.last_name,
        language="fr",
        level=FirmLevel.USER,
        active=False,
        accesses={dossier: {"view.user"}},
    )
    client_user.refresh_from_db()
    assert client_user.is_active
    from dossiers.selectors import dossier_list_for

    assert not dossier_list_for(actor=client_user).filter(firm=firm).exists()


def test_the_last_licence_admin_stays(firm: Firm, licence_admin: User, dossier: Dossier) -> None:
    for level, active in ((FirmLevel.POWER_USER, True), (FirmLevel.LICENCE_ADMIN, False)):
        with pytest.raises(ServiceError) as excinfo:
            firm_users.user_update(
                firm=firm,
                actor=licence_admin,
                user=licence_admin,
                first_name="",
                last_name="",
                language="fr",
                level=level,
                active=active,
                accesses={},
            )
        assert excinfo.value.code == "last_licence_admin"
    second = MembershipFactory(firm=firm, level=FirmLevel.LICENCE_ADMIN).user
    firm_users.user_update(
        firm=firm,
        actor=second,
        user=licence_admin,
        first_name="",
        last_name="",
        language="fr",
        level=FirmLevel.POWER_USER,
        active=True,
        accesses={},
    )
    assert FirmMembership.objects.get(user=licence_admin).level == FirmLevel.POWER_USER


def test_a_power_user_cannot_change_staff(
    firm: Firm, accountant: User, licence_admin: User
) -> None:
    with pytest.raises(ServiceError) as excinfo:
        firm_users.user_update(
            firm=firm,
            actor=accountant,
            user=licence_admin,
            first_name="x",
            last_name="",
            language="fr",
            level=FirmLevel.LICENCE_ADMIN,
            active=True,
            accesses={},
        )
    assert excinfo.value.code == "level_forbidden"


# --- invitations ------------------------------------------------------------------------------


def test_sending_records_an_outbox_row_and_the_token_is_made_at_delivery(
    firm: Firm,
    licence_admin: User,
    dossier: Dossier,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = invite(firm, licence_admin, dossier, send_email=True)
    invitation = Invitation.objects.get(user=user)
    assert invitation.token_hash and len(invitation.token_hash) == 64
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    (message,) = mail.outbox
    assert message.to == [user.email]
    row = OutboundEmail.objects.get(kind="invitation")
    assert row.status == OutboundEmail.Status.SENT
    # The database holds only the hash: the token in the mail is not stored anywhere.
    token = message.body.split("/invitation/")[1].split("/")[0]
    assert token not in str(row.payload) and token != invitation.token_hash
    assert invitations.invitation_for_token(token) == invitation


def test_a_revoked_invitation_is_not_sent(
    firm: Firm, licence_admin: User, dossier: Dossier, django_capture_on_commit_callbacks
) -> None:
    user = invite(firm, licence_admin, dossier, send_email=True)  # not committed yet
    invitations.invitation_revoke(actor=licence_admin, firm=firm, user=user)
    from core.mail import outbound_email_deliver

    row = OutboundEmail.objects.get(kind="invitation")
    assert outbound_email_deliver(outbound_id=row.pk) is False
    assert mail.outbox == []


def test_resending_replaces_the_earlier_link(
    firm: Firm, licence_admin: User, client_user: User
) -> None:
    first = invitations.invitation_send(actor=licence_admin, firm=firm, user=client_user)
    second = invitations.invitation_send(actor=licence_admin, firm=firm, user=client_user)
    first.refresh_from_db()
    assert (first.status, second.status) == ("revoked", "pending")


def _sent_token(invitation: Invitation) -> str:
    """Deliver the invitation's mail as the worker would and read the token from it."""
    from core.mail import outbound_email_deliver

    row = OutboundEmail.objects.filter(kind="invitation").latest("created_at")
    outbound_email_deliver(outbound_id=row.pk)
    return mail.outbox[-1].body.split("/invitation/")[1].split("/")[0]


def test_accepting_sets_the_password_once(
    firm: Firm, licence_admin: User, client_user: User
) -> None:
    invitation = invitations.invitation_send(actor=licence_admin, firm=firm, user=client_user)
    token = _sent_token(invitation)
    with pytest.raises(ServiceError) as excinfo:
        invitations.invitation_accept(token=token, password="weak")
    assert excinfo.value.field == "password1"
    user = invitations.invitation_accept(token=token, password="Mijn-Wachtwoord-1")
    assert user.check_password("Mijn-Wachtwoord-1")
    with pytest.raises(ServiceError) as excinfo:
        invitations.invitation_accept(token=token, password="Ander-Wachtwoord-2")
    assert excinfo.value.code == "invitation_invalid"
    user.refresh_from_db()
    assert user.check_password("Mijn-Wachtwoord-1")
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_ACCEPTED, actor=user).exists()


def test_an_expired_or_revoked_link_is_refused(
    firm: Firm, licence_admin: User, client_user: User
) -> None:
    invitation = invitations.invitation_send(actor=licence_admin, firm=firm, user=client_user)
    token = _sent_token(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(ServiceError):
        invitations.invitation_accept(token=token, password="Mijn-Wachtwoord-1")
    fresh = invitations.invitation_send(actor=licence_admin, firm=firm, user=client_user)
    token = _sent_token(fresh)
    invitations.invitation_revoke(actor=licence_admin, firm=firm, user=client_user)
    with pytest.raises(ServiceError):
        invitations.invitation_accept(token=token, password="Mijn-Wachtwoord-1")
    assert not client_user.__class__.objects.get(pk=client_user.pk).check_password(
        "Mijn-Wachtwoord-1"
    )


@pytest.mark.django_db
def test_unknown_tokens_find_nothing() -> None:
    assert invitations.invitation_for_token("x" * 43) is None
    assert invitations.invitation_for_token("") is None
    assert invitations.invitation_for_token("y" * 5000) is None
    UserFactory()


# --- review fixes: shared identities, staff invitations, other links, staff-only roles -------


def test_a_shared_identity_keeps_its_names_and_language(
    firm: Firm, other_firm: Firm, licence_admin: User, dossier: Dossier, client_user: User
) -> None:
    MembershipFactory(user=client_user, firm=other_firm)
    with pytest.raises(ServiceError) as excinfo:
        firm_users.user_update(
            firm=firm,
            actor=licence_admin,
            user=client_user,
            first_name="HACKED",
            last_name="",
            language="de",
            level=FirmLevel.USER,
            active=True,
            accesses={dossier: {"view.user"}},
        )
    assert excinfo.value.code == "identity_shared"
    client_user.refresh_from_db()
    assert (client_user.first_name, client_user.language) != ("HACKED", "de")
    assert set(DossierAccess.objects.filter(user=client_user).values_list("role", flat=True)) == {
        "connect.entrepreneur",
        "view.user",
    }  # nothing of the refused change was saved


def test_power_users_cannot_send_or_revoke_a_staff_invitation(
    firm: Firm, accountant: User, licence_admin: User
) -> None:
    for call in (invitations.invitation_send, invitations.invitation_revoke):
        with pytest.raises(ServiceError) as excinfo:
            call(actor=accountant, firm=firm, user=licence_admin)
        assert excinfo.value.code == "level_forbidden"
    assert not Invitation.objects.exists()


def test_accepting_one_link_revokes_every_other_pending_link(
    firm: Firm, other_firm: Firm, licence_admin: User, other_staff: User, client_user: User
) -> None:
    MembershipFactory(user=client_user, firm=other_firm)
    elsewhere = invitations.invitation_send(actor=other_staff, firm=other_firm, user=client_user)
    here = invitations.invitation_send(actor=licence_admin, firm=firm, user=client_user)
    token = _sent_token(here)
    invitations.invitation_accept(token=token, password="Mijn-Wachtwoord-1")
    elsewhere.refresh_from_db()
    assert elsewhere.status == "revoked"


def test_connect_accountant_is_for_staff(firm: Firm, licence_admin: User, dossier: Dossier) -> None:
    with pytest.raises(ServiceError) as excinfo:
        invite(firm, licence_admin, dossier, accesses={dossier: {"connect.accountant"}})
    assert excinfo.value.code == "role_for_staff"
    staff = invite(
        firm,
        licence_admin,
        dossier,
        level=FirmLevel.POWER_USER,
        accesses={dossier: {"connect.accountant"}},
    )
    assert DossierAccess.objects.filter(user=staff, role="connect.accountant").exists()


def test_the_subject_is_plain_text(
    licence_admin: User, firm: Firm, client_user: User, django_capture_on_commit_callbacks
) -> None:
    firm.name = "D'Hondt & Co"
    firm.save()
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_send(actor=licence_admin, firm=firm, user=client_user)
    assert mail.outbox[-1].subject == "D'Hondt & Co vous invite à ses outils numériques"
