from typing import Any, cast

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.webauthn.forms import AddWebAuthnForm
from django import forms
from django.utils.translation import gettext_lazy as _

from users.models import Language, TokenScope


class LoginForm(AllauthLoginForm):
    """allauth's login form, its login field named after the WinBooksID."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("WinBooksID (e-mail address)")
        self.fields["login"].widget.attrs["placeholder"] = ""
        self.fields["password"].widget.attrs["placeholder"] = ""
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me logged in on this device")


class SecurityKeyForm(AddWebAuthnForm):
    """allauth's form to add a security key or passkey, its name field labelled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name of the key")
        self.fields["name"].help_text = _("To recognise it in the list, for example: office key.")


class InvitationAcceptForm(forms.Form):
    """The invited person confirms their names (theirs from then on) and chooses a password."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        if self.names_given() and not (cleaned.get("first_name") or cleaned.get("last_name")):
            self.add_error("first_name", _("Enter your first or last name."))
        return cleaned

    def names_given(self) -> bool:
        """Whether the names were posted (a form without them keeps the names as they are)."""
        return "first_name" in self.data or "last_name" in self.data


class ProfileForm(forms.Form):
    """The person's own names and language."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Where you will use it, for example: the office PC."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=365,
        initial=90,
        help_text=_("At most 365 days. After that, the token stops working."),
    )
    scope = forms.ChoiceField(
        label=_("What it may do"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
    )
    firm: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        label=_("Firm"),
        queryset=None,  # the person's own firms, given by the view
        required=False,
        empty_label=_("All my firms"),
        help_text=_("Restrict the token to the dossiers of one firm."),
    )

    def __init__(self, *args: Any, firms: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["firm"]).queryset = firms
