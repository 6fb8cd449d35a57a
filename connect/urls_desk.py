from django.urls import path

from connect import views_desk

urlpatterns = [
    path("dossiers/<uuid:dossier_id>/send-desk/", views_desk.send_desk, name="send_desk"),
    path("documents/<uuid:document_id>/delete/", views_desk.delete, name="document_delete"),
    path("documents/<uuid:document_id>/replace/", views_desk.replace, name="document_replace"),
]
