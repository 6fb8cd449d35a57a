"""Connect routes for requests (included in connect/urls.py, in the "connect" namespace)."""

from django.urls import URLPattern, path

from connect import views_requests

urlpatterns: list[URLPattern] = [
    path(
        "dossiers/<uuid:dossier_id>/requests/",
        views_requests.request_list,
        name="request_list",
    ),
    path(
        "dossiers/<uuid:dossier_id>/requests/new/",
        views_requests.request_new,
        name="request_create",
    ),
    path("requests/<uuid:request_id>/", views_requests.request_detail, name="request_detail"),
    path(
        "requests/<uuid:request_id>/upload/",
        views_requests.request_upload_view,
        name="request_upload",
    ),
    path(
        "requests/<uuid:request_id>/accept/",
        views_requests.request_accept_view,
        name="request_accept",
    ),
    path(
        "requests/<uuid:request_id>/more-needed/",
        views_requests.request_more_needed_view,
        name="request_more_needed",
    ),
]
