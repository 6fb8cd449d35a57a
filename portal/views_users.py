"""The Portal's users pages: the firm's users, their invitations, the staff search and the
tokens that reach the firm's dossiers (the firm's staff)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from core.pagination import OneQueryPaginator
from dossiers import firm_users, invitations, members
from dossiers.invitations import invitation_list_for
from dossiers.members import (
    firm_api_token_get_for,
    firm_api_token_list_for,
    firm_staff_search_for,
    firm_user_get_for,
    firm_user_list_for,
)
from dossiers.models import FirmLevel, Role
from dossiers.selectors import dossier_staff_list_for, firm_staff_get_for
from portal.forms_users import UserForm, role_field_name
from portal.selectors import audit_list_for
from users.redirects import safe_next
from users.types import AuthedRequest

USERS_PER_PAGE = 50


@login_required
def user_list(request: AuthedRequest, firm_id: str) -> HttpResponse:
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    dossiers = list(dossier_staff_list_for(actor=request.user).filter(firm=firm).order_by("code"))
    query = request.GET.get("q", "").strip()[:100]
    dossier_id = request.GET.get("dossier", "")
    dossier = next((d for d in dossiers if d.public_id.hex == dossier_id.replace("-", "")), None)
    role = request.GET.get("role", "")
    role = role if role in Role.values else ""
    level = request.GET.get("level", "")
    level = level if level in FirmLevel.values else ""
    memberships = firm_user_list_for(
        actor=request.user, firm=firm, query=query, dossier=dossier, role=role, level=level
    )
    page = OneQueryPaginator(memberships, USERS_PER_PAGE).get_page(request.GET.get("page"))
    filters = {
        "q": query,
        "dossier": str(dossier.public_id) if dossier else "",
        "role": role,
        "level": level,
    }
    return render(
        request,
        "users/list.html",
        {
            "firm": firm,
            "page": page,
            "dossiers": dossiers,
            "filters": filters,
            "roles": Role.choices,
            "levels": FirmLevel.choices,
            "query_string": urlencode({k: v for k, v in filters.items() if v}),
        },
    )


@login_required
def user_create(request: AuthedRequest, firm_id: str) -> HttpResponse:
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    dossiers = list(dossier_staff_list_for(actor=request.user).filter(firm=firm).order_by("code"))
    levels = members.grantable_levels(actor=request.user, firm=firm)
    next_url = safe_next(request.POST.get("next") or request.GET.get("next"), request=request)
    initial: dict[str, Any] = {
        "language": request.user.language,
        "level": FirmLevel.USER,
        "active": True,
    }
    preselected = request.GET.get("dossier", "").replace("-", "")
    preselected_role = request.GET.get("role", Role.CONNECT_ENTREPRENEUR)
    for dossier in dossiers:
        if dossier.public_id.hex == preselected and preselected_role in Role.values:
            initial[role_field_name(dossier, preselected_role)] = True
    form = UserForm(request.POST or None, initial=initial, dossiers=dossiers, levels=levels)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = firm_users.user_invite(
                firm=firm,
                actor=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                language=data["language"],
                level=data["level"],
                active=data["active"],
                accesses=form.accesses(),
                send_email=data["send_email"],
                display_label=data["display_label"],
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            if data["send_email"]:
                messages.success(
                    request,
                    _("The user %(email)s was saved and the invitation is on its way.")
                    % {"email": user.email},
                )
            else:
                messages.success(
                    request, _("The user %(email)s was saved.") % {"email": user.email}
                )
            if next_url:
                return redirect(next_url)
            return redirect("portal:user", firm_id=firm.public_id, user_id=user.public_id)
    status = form_status(form)
    return render(
        request,
        "users/form.html",
        {"firm": firm, "form": form, "next": next_url, "creating": True},
        status=status,
    )


@login_required
def user_detail(request: AuthedRequest, firm_id: str, user_id: str) -> HttpResponse:
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    membership = firm_user_get_for(actor=request.user, firm=firm, public_id=user_id)
    user = membership.user
    dossiers = list(dossier_staff_list_for(actor=request.user).filter(firm=firm).order_by("code"))
    levels = members.grantable_levels(actor=request.user, firm=firm)
    if membership.level not in levels:
        levels = (*levels, membership.level)  # shown; the service refuses a change it forbids
    first_name, last_name = user.names_seen_by(firm.pk)
    names_locked = not firm_users.names_editable_by(user, firm)
    initial: dict[str, Any] = {
        "email": user.email,
        "first_name": first_name,
        "last_name": last_name,
        "language": user.language,
        "display_label": membership.display_label,
        "level": membership.level,
        "active": membership.is_active,
    }
    for access in getattr(user, "firm_accesses", []):
        initial[role_field_name(access.dossier, access.role)] = True
    form = UserForm(
        request.POST or None,
        initial=initial,
        dossiers=dossiers,
        levels=levels,
        editing=True,
        identity_locked=firm_users.identity_shared(user, firm),
        names_locked=names_locked,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Locked names are not this firm's to send back (it may not even see them).
        names = (user.first_name, user.last_name) if names_locked else None
        try:
            firm_users.user_update(
                firm=firm,
                actor=request.user,
                user=user,
                first_name=names[0] if names else data["first_name"],
                last_name=names[1] if names else data["last_name"],
                language=data["language"],
                level=data["level"],
                active=data["active"],
                accesses=form.accesses(),
                display_label=data["display_label"],
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The user %(email)s was saved.") % {"email": user.email})
            return redirect("portal:user", firm_id=firm.public_id, user_id=user.public_id)
    invitations = invitation_list_for(actor=request.user, firm=firm, user=user)
    status = form_status(form)
    return render(
        request,
        "users/form.html",
        {
            "firm": firm,
            "form": form,
            "membership": membership,
            "subject": user,
            "invitations": invitations,
            "pending_invitation": any(i.status == "pending" for i in invitations),
            "audit_events": audit_list_for(actor=request.user, firm=firm, user=user),
            "creating": False,
        },
        status=status,
    )


@login_required
@require_POST
def user_invitation_send(request: AuthedRequest, firm_id: str, user_id: str) -> HttpResponse:
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    membership = firm_user_get_for(actor=request.user, firm=firm, public_id=user_id)
    try:
        invitations.invitation_send(actor=request.user, firm=firm, user=membership.user)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("A new invitation is on its way to %(email)s; earlier links no longer work.")
            % {"email": membership.user.email},
        )
    return redirect("portal:user", firm_id=firm.public_id, user_id=membership.user.public_id)


@login_required
@require_POST
def user_invitation_revoke(request: AuthedRequest, firm_id: str, user_id: str) -> HttpResponse:
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    membership = firm_user_get_for(actor=request.user, firm=firm, public_id=user_id)
    if invitations.invitation_revoke(actor=request.user, firm=firm, user=membership.user):
        messages.success(request, _("The invitation was revoked: its link no longer works."))
    else:
        messages.info(request, _("There was no pending invitation."))
    return redirect("portal:user", firm_id=firm.public_id, user_id=membership.user.public_id)


@login_required
def staff_search(request: AuthedRequest, firm_id: str) -> HttpResponse:
    """The accountant field's suggestions: the firm's active staff (an htmx fragment)."""
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    staff = firm_staff_search_for(
        actor=request.user, firm=firm, query=request.GET.get("accountant", "").strip()[:100]
    )
    return render(request, "partials/staff_options.html", {"staff": staff})


@login_required
def firm_api_tokens(request: AuthedRequest, firm_id: str) -> HttpResponse:
    """The firm's staff see the tokens that reach its dossiers (never their value)."""
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    page = OneQueryPaginator(firm_api_token_list_for(actor=request.user, firm=firm), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "users/firm_api_tokens.html",
        {"firm": firm, "page": page, "now": timezone.now()},
    )


@login_required
@require_POST
def firm_api_token_revoke(request: AuthedRequest, firm_id: str, token_id: str) -> HttpResponse:
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    token = firm_api_token_get_for(actor=request.user, firm=firm, public_id=token_id)
    members.api_token_revoke_by_firm(actor=request.user, firm=firm, token=token)
    messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("portal:firm_api_tokens", firm_id=firm.public_id)
