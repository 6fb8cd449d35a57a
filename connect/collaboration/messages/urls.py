"""Connect routes for messages (included in connect/urls.py, in the "connect" namespace)."""

from django.urls import URLPattern, path

from connect.collaboration.messages import views

urlpatterns: list[URLPattern] = [
    path("messages/", views.inbox, name="inbox_messages"),
    path("messages/<uuid:thread_id>/", views.thread, name="thread"),
    path("dossiers/<uuid:dossier_id>/messages/", views.threads, name="threads"),
    path(
        "documents/<uuid:document_id>/messages/",
        views.document_thread,
        name="document_thread",
    ),
]
