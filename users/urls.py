"""Account routes: allauth's login, logout, password reset and change, two-factor
authentication (``/accounts/2fa/``) and the session list (``/accounts/sessions/``). Sign-up and
e-mail management are not routed at all: users are created by their firm, and the WinBooksID
is the identity (it is changed by the firm, not by the user)."""

from allauth.account import urls as account_urls
from django.urls import include, path

from users import views

ACCOUNT_ROUTES = {
    "account_login",
    "account_logout",
    "account_inactive",
    "account_reauthenticate",
    "account_change_password",
    "account_set_password",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
}

urlpatterns = [p for p in account_urls.urlpatterns if getattr(p, "name", None) in ACCOUNT_ROUTES]
urlpatterns += [
    path("profile/", views.profile, name="account_profile"),
    path("2fa/", include("allauth.mfa.urls")),
    path("sessions/", include("allauth.usersessions.urls")),
]
