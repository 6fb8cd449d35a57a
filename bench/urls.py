"""The portal's routes plus a bare reference page, for `make bench` only."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from connect.models import Document
from core import db_scope

_TEMPLATE = engines["django"].from_string(
    "<table>{% for d in rows %}<tr><td>{{ d.filename }}</td><td>{{ d.category }}</td>"
    "<td>{{ d.amount }}</td><td>{{ d.status }}</td><td>{{ d.sent_at }}</td></tr>{% endfor %}"
    "</table>"
)


def reference(request: HttpRequest) -> HttpResponse:
    """A plain 50-row page from PostgreSQL: no auth, no tenancy, a minimal template. Read as
    the system (row-level security lets every row through): under the visitor's own scope
    the newest rows of the table may be another firm's, which PostgreSQL would walk past
    (10,000 of them in `make bench`'s database), and the yardstick would be slow for a
    reason that is not a page's cost."""
    with db_scope.system():
        rows = list(Document.objects.order_by("-id")[:50])
    return HttpResponse(_TEMPLATE.render({"rows": rows}))


urlpatterns = [path("bench/reference/", reference), path("", include("portal.urls"))]
