"""The provider's inbound-mail webhook (Postmark's format), behind two checks of our own: no
secret configured means the endpoint is closed, and a body that is not the provider's JSON is a
400, not a server error."""

import json
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt


class _PostmarkInbound(PostmarkInboundWebhookView):
    def parse_events(self, request: HttpRequest) -> Any:
        try:
            payload = json.loads(request.body.decode("utf-8"))
        except ValueError as exc:  # not JSON, or not UTF-8: a 400 (SuspiciousOperation)
            raise AnymailWebhookValidationFailure("Malformed inbound payload.") from exc
        if not isinstance(payload, dict):
            raise AnymailWebhookValidationFailure("Malformed inbound payload.")
        # An empty attachment comes without "Data": anymail would fail on it (500). It is
        # passed on as an empty file, which the receive service refuses by name.
        for attachment in payload.get("Attachments") or []:
            if isinstance(attachment, dict):
                attachment.setdefault("Data", "")
        return [self.esp_to_anymail_event(payload)]


_view = _PostmarkInbound.as_view()


@csrf_exempt
def postmark_inbound(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return HttpResponseBadRequest("Inbound webhook not configured.")
    return _view(request, *args, **kwargs)
