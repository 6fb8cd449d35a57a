"""Connect routes for requests (included in connect/urls.py, in the "connect" namespace)."""

from django.urls import URLPattern, path

from connect.collaboration.document_requests import views

urlpatterns: list[URLPattern] = [
    path(
        "dossiers/<uuid:dossier_id>/requests/",
        views.request_list,
        name="request_list",
    ),
    path(
        "dossiers/<uuid:dossier_id>/requests/new/",
        views.request_new,
        name="request_create",
    ),
    path("requests/<uuid:request_id>/", views.request_detail, name="request_detail"),
    path(
        "requests/<uuid:request_id>/upload/",
        views.request_upload_view,
        name="request_upload",
    ),
    path(
        "requests/<uuid:request_id>/accept/",
        views.request_accept_view,
        name="request_accept",
    ),
    path(
        "requests/<uuid:request_id>/more-needed/",
        views.request_more_needed_view,
        name="request_more_needed",
    ),
]
