"""The link of an invitation (anyone holding it): the person confirms their names, chooses a
password and lands logged in."""

from http import HTTPStatus

from allauth.account.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import ServiceError
from core.forms import form_add_service_error
from dossiers import invitations
from users.forms import InvitationAcceptForm


def _invitation_unusable(request: HttpRequest, *, used: bool) -> HttpResponse:
    """One answer, 410, for every link that cannot be used: unknown, expired, replaced,
    revoked, or of a deactivated user all read the same. Only a link that was used says so
    (its holder got it by mail; QUALITY.md asks for a clear message)."""
    response = render(
        request, "users/invitation_invalid.html", {"used": used}, status=HTTPStatus.GONE
    )
    response["Cache-Control"] = "no-store"
    return response


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation: choose a password, then land logged in where a login lands
    (a client with one Connect dossier in it, others on the hub)."""
    invitation = invitations.invitation_for_token(token)
    status = invitation.status if invitation else "invalid"
    usable = status == "pending" and invitation is not None and invitation.user.is_active
    if not usable:
        return _invitation_unusable(request, used=status == "accepted")
    assert invitation is not None  # noqa: S101 (narrowing for the type checker)
    first_name, last_name = invitation.user.names_seen_by(invitation.firm_id)
    form = InvitationAcceptForm(
        request.POST or None, initial={"first_name": first_name, "last_name": last_name}
    )
    if request.method == "POST" and form.is_valid():
        names = form.names_given()
        try:
            user = invitations.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"] if names else None,
                last_name=form.cleaned_data["last_name"] if names else None,
            )
        except ServiceError as error:
            if error.code == "invitation_invalid":
                return _invitation_unusable(request, used=False)
            form_add_service_error(form, error)
        else:
            if Authenticator.objects.filter(user=user).exists():
                # Two-factor authentication stays in force: the link does not replace it.
                messages.success(request, _("Your password is set. Please log in."))
                return redirect("account_login")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Your password is set."))
            # Where a login lands, as the configured account adapter decides (the shell's).
            return redirect(get_adapter(request).get_login_redirect_url(request))
    return render(request, "users/invitation_accept.html", {"form": form, "invitation": invitation})
