"""The person's own pages: the profile and the revocation of their own API tokens. The
invitation link, the token page (it offers the person's firms) and the firm's users pages are
the Portal's (portal/views_invitation.py, views_tokens.py, views_users.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from users import services
from users.forms import ProfileForm
from users.selectors import MENU_API_TOKENS, api_token_get_for
from users.types import AuthedRequest


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    """The person's own names and language: no firm changes the names once confirmed."""
    user = request.user
    initial = {"first_name": user.first_name, "last_name": user.last_name}
    form = ProfileForm(request.POST or None, initial=initial | {"language": user.language})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_profile_update(actor=user, **form.cleaned_data)
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            translation.activate(user.language)
            messages.success(request, _("Your profile was saved."))
            return redirect("account_profile")
    return render(request, "users/profile.html", {"form": form}, status=form_status(form))


@login_required
@require_POST
def api_token_revoke(request: AuthedRequest, token_id: str) -> HttpResponse:
    token = api_token_get_for(actor=request.user, public_id=token_id)
    services.api_token_revoke(actor=request.user, token=token)
    request.session.pop(MENU_API_TOKENS, None)
    messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("portal:api_tokens")
