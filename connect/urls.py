from django.urls import path

from connect import views

app_name = "connect"

urlpatterns = [
    path("", views.home, name="home"),
    path("dossiers/<uuid:dossier_id>/", views.dossier, name="dossier"),
]
