"""The portal's routes plus a bare reference page, for `make bench` only."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from connect.models import Document

_TEMPLATE = engines["django"].from_string(
    "<table>{% for d in rows %}<tr><td>{{ d.filename }}</td><td>{{ d.category }}</td>"
    "<td>{{ d.amount }}</td><td>{{ d.status }}</td><td>{{ d.sent_at }}</td></tr>{% endfor %}"
    "</table>"
)


def reference(request: HttpRequest) -> HttpResponse:
    """A plain 50-row page from PostgreSQL: no auth, no tenancy, a minimal template."""
    rows = list(Document.objects.order_by("-id")[:50])
    return HttpResponse(_TEMPLATE.render({"rows": rows}))


urlpatterns = [path("bench/reference/", reference), path("", include("portal.urls"))]
