"""Connect routes for tasks (included in connect/urls.py, in the "connect" namespace)."""

from django.urls import URLPattern, path

from connect.collaboration.todos import views

urlpatterns: list[URLPattern] = [
    path("dossiers/<uuid:dossier_id>/tasks/", views.task_list, name="tasks"),
    path(
        "dossiers/<uuid:dossier_id>/tasks/calendar/",
        views.task_calendar,
        name="task_calendar",
    ),
    path("dossiers/<uuid:dossier_id>/tasks/new/", views.task_create, name="task_create"),
    path(
        "dossiers/<uuid:dossier_id>/tasks/deadlines/",
        views.task_deadlines,
        name="task_deadlines",
    ),
    path("tasks/<uuid:task_id>/", views.task_detail, name="task"),
    path("tasks/<uuid:task_id>/done/", views.task_done, name="task_done"),
    path("tasks/<uuid:task_id>/reopen/", views.task_reopen, name="task_reopen"),
    path("tasks/<uuid:task_id>/delete/", views.task_delete, name="task_delete"),
]
