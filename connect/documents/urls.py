from django.urls import path

from connect.documents import (
    views,
    views_accountant,
    views_address,
    views_desk,
    views_document,
    views_files,
    views_inbox,
    views_memory,
)

# Included by connect/urls.py inside the ``connect`` namespace (names ``connect:upload``, …).
urlpatterns = [
    # The client's desk: send, delete, replace.
    path("dossiers/<uuid:dossier_id>/send-desk/", views_desk.send_desk, name="send_desk"),
    path("documents/<uuid:document_id>/delete/", views_desk.delete, name="document_delete"),
    path("documents/<uuid:document_id>/replace/", views_desk.replace, name="document_replace"),
    path("", views.home, name="home"),
    path("inbox/", views_inbox.inbox, name="inbox"),
    path("review/", views_accountant.review_queue, name="review_queue"),
    path("suppliers/", views_memory.supplier_memories, name="supplier_memories"),
    path(
        "suppliers/<uuid:memory_id>/forget/",
        views_memory.supplier_memory_forget_view,
        name="supplier_memory_forget",
    ),
    path(
        "documents/<uuid:document_id>/attachments/<uuid:attachment_id>/",
        views_files.attachment,
        name="attachment",
    ),
    path("dossiers/<uuid:dossier_id>/share/", views_accountant.share, name="share"),
    path("dossiers/<uuid:dossier_id>/profile/", views_accountant.profile, name="profile"),
    path(
        "dossiers/<uuid:dossier_id>/e-mail-address/",
        views_address.inbound_address,
        name="inbound_address",
    ),
    path(
        "documents/<uuid:document_id>/actions/<slug:action>/",
        views_accountant.document_action,
        name="document_action",
    ),
    path("dossiers/<uuid:dossier_id>/", views.dossier, name="dossier"),
    path("dossiers/<uuid:dossier_id>/upload/", views.upload, name="upload"),
    path("dossiers/<uuid:dossier_id>/send/", views.send, name="send"),
    path("dossiers/<uuid:dossier_id>/binders/", views.binder_create, name="binder_create"),
    path("dossiers/<uuid:dossier_id>/<str:section>/", views.section, name="section"),
    path("documents/<uuid:document_id>/", views_document.document, name="document"),
    path(
        "documents/<uuid:document_id>/facts/", views_document.document_facts, name="document_facts"
    ),
    path("documents/<uuid:document_id>/thumbnail.png", views_files.thumbnail, name="thumbnail"),
    path("documents/<uuid:document_id>/download/", views_files.download, name="download"),
    # The accountant's work queue: bulk actions, page images, a preview made again.
    path("inbox/bulk/", views_inbox.inbox_bulk, name="inbox_bulk"),
    path("documents/<uuid:document_id>/pages/<int:number>.jpg", views_files.page, name="page"),
    path(
        "documents/<uuid:document_id>/preview/retry/",
        views_files.preview_retry,
        name="preview_retry",
    ),
]
