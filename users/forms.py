from typing import Any, cast

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.webauthn.forms import AddWebAuthnForm
from django import forms
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier, Firm
from users.models import FirmLevel, Language, Role, TokenScope


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


ROLE_FIELD_PREFIX = "role__"


def role_field_name(dossier: Dossier, role: str) -> str:
    return f"{ROLE_FIELD_PREFIX}{dossier.public_id.hex}__{role.replace('.', '_')}"


class UserForm(forms.Form):
    """Create or edit a user of the firm: identity, level, and one checkbox per dossier and
    role. A role field that the form did not offer (another firm's dossier, a made-up role)
    refuses the whole form."""

    email = forms.EmailField(label=_("WinBooksID (e-mail address)"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    display_label = forms.CharField(
        label=_("Display label in your firm"),
        max_length=150,
        required=False,
        help_text=_(
            "Your firm's own wording for this person in its lists; their names stay theirs."
        ),
    )
    level = forms.ChoiceField(label=_("Level"), choices=FirmLevel.choices)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    #: Ticked: a new user is told how to log in unless the administrator chooses otherwise.
    send_email = forms.BooleanField(
        label=_("Send an e-mail with the information to the user"), required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        dossiers: list[Dossier],
        levels: tuple[str, ...],
        editing: bool = False,
        identity_locked: bool = False,
        names_locked: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.dossiers = dossiers
        level_field = cast(forms.ChoiceField, self.fields["level"])
        level_field.choices = [(v, label) for v, label in FirmLevel.choices if v in levels]
        if editing:
            self.fields["email"].disabled = True
            self.fields["email"].required = False
            del self.fields["send_email"]
        # The person's names are their own once confirmed (or another firm wrote them); their
        # language too when they also belong to another firm.
        locked: tuple[str, ...] = ("first_name", "last_name") if names_locked else ()
        locked += ("language",) if identity_locked else ()
        for name in locked:
            self.fields[name].disabled = True
            self.fields[name].help_text = _("Only the person can change this.")
        for dossier in dossiers:
            for role, label in Role.choices:
                self.fields[role_field_name(dossier, role)] = forms.BooleanField(
                    label=f"{label} · {dossier.code}", required=False
                )

    def role_rows(self) -> list[tuple[Dossier, list[forms.BoundField]]]:
        """The access matrix: one row per dossier, one bound checkbox per role."""
        return [
            (dossier, [self[role_field_name(dossier, role)] for role in Role.values])
            for dossier in self.dossiers
        ]

    def identity_fields(self) -> list[forms.BoundField]:
        names = ["email", "first_name", "last_name", "language", "display_label", "level", "active"]
        return [self[name] for name in names if name in self.fields]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        offered = set(self.fields)
        forged = [k for k in self.data if k.startswith(ROLE_FIELD_PREFIX) and k not in offered]
        if forged:
            raise forms.ValidationError(
                _("The form contained a dossier or a role that you cannot give."),
                code="forged_access",
            )
        return cleaned

    def accesses(self) -> dict[Dossier, set[str]]:
        return {
            dossier: {
                role
                for role in Role.values
                if self.cleaned_data.get(role_field_name(dossier, role))
            }
            for dossier in self.dossiers
        }


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
    firm = forms.ModelChoiceField(
        label=_("Firm"),
        queryset=Firm.objects.none(),
        required=False,
        empty_label=_("All my firms"),
        help_text=_("Restrict the token to the dossiers of one firm."),
    )

    def __init__(self, *args: Any, firms: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if firms is not None:
            cast(forms.ModelChoiceField, self.fields["firm"]).queryset = firms


class FirmMfaForm(forms.Form):
    """The firm's two-factor rule, set by a licence admin on the firm page."""

    mfa_required_for_staff = forms.BooleanField(
        label=_("Require two-factor authentication for the firm's staff"),
        required=False,
        help_text=_(
            "Licence admins and power users who have not set it up are asked to do so before "
            "anything else. Clients are not concerned; API tokens keep working."
        ),
    )
