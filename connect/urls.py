"""Connect's URLs (namespace ``connect``): each feature package brings its own."""

from django.urls import include, path

app_name = "connect"

urlpatterns = [
    # Collaboration: tasks and deadlines, document requests, messages; supplier payments.
    path("", include("connect.collaboration.todos.urls")),
    path("", include("connect.collaboration.document_requests.urls")),
    path("", include("connect.collaboration.messages.urls")),
    path("", include("connect.payments.urls")),
    # The documents: desk, client pages, the accountant's inbox and actions.
    path("", include("connect.documents.urls")),
]
