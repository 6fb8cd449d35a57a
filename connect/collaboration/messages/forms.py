"""Forms of the messages: a reply, a new conversation. The file is checked by the receive
service, not here."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from connect.collaboration.messages.services import BODY_MAX, SUBJECT_MAX
from connect.documents.forms import ACCEPT


class BodyField(forms.CharField):
    """The message's text; line breaks counted once (browsers send CR LF)."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class MessageForm(forms.Form):
    body = BodyField(
        label=_("Message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    file = forms.FileField(
        label=_("Attach a file (optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
        help_text=_("PDF, photo or e-invoice; it is added to the dossier's documents."),
    )


class ThreadForm(MessageForm):
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)

    field_order = ("subject", "body", "file")


class DocumentThreadForm(MessageForm):
    """A conversation about a document: its subject is the document's name unless changed."""

    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX, required=False)

    field_order = ("subject", "body", "file")
