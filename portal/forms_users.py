"""The Portal's forms for the firm's users: a user of the firm with their dossier roles, and
the firm's two-factor rule."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier, FirmLevel, Role
from users.models import Language

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
