"""Connect routes for messages (included in connect/urls.py, in the "connect" namespace)."""

from django.urls import URLPattern, path

from connect import views_messages

urlpatterns: list[URLPattern] = [
    path("messages/", views_messages.inbox, name="inbox_messages"),
    path("messages/<uuid:thread_id>/", views_messages.thread, name="thread"),
    path("dossiers/<uuid:dossier_id>/messages/", views_messages.threads, name="threads"),
    path(
        "documents/<uuid:document_id>/messages/",
        views_messages.document_thread,
        name="document_thread",
    ),
]
