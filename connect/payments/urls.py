"""Connect routes for payments (included in connect/urls.py, in the "connect" namespace)."""

from django.urls import URLPattern, path

from connect.payments import views

urlpatterns: list[URLPattern] = [
    path("dossiers/<uuid:dossier_id>/payments/", views.payments, name="payments"),
    path(
        "dossiers/<uuid:dossier_id>/payments/accounts/",
        views.paying_accounts,
        name="paying_accounts",
    ),
    path("payments/<uuid:batch_id>/", views.payment_batch, name="payment_batch"),
    path(
        "payments/<uuid:batch_id>/download/",
        views.payment_download,
        name="payment_download",
    ),
    path(
        "documents/<uuid:document_id>/bank-account/confirm/",
        views.supplier_account_confirm_view,
        name="supplier_account_confirm",
    ),
]
