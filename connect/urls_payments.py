"""Connect routes for payments (included in connect/urls.py, in the "connect" namespace)."""

from django.urls import URLPattern, path

from connect import views_payments

urlpatterns: list[URLPattern] = [
    path("dossiers/<uuid:dossier_id>/payments/", views_payments.payments, name="payments"),
    path(
        "dossiers/<uuid:dossier_id>/payments/accounts/",
        views_payments.paying_accounts,
        name="paying_accounts",
    ),
    path("payments/<uuid:batch_id>/", views_payments.payment_batch, name="payment_batch"),
    path(
        "payments/<uuid:batch_id>/download/",
        views_payments.payment_download,
        name="payment_download",
    ),
    path(
        "documents/<uuid:document_id>/bank-account/confirm/",
        views_payments.supplier_account_confirm_view,
        name="supplier_account_confirm",
    ),
]
