"""Connect routes for tasks (included in connect/urls.py, in the "connect" namespace)."""

from django.urls import URLPattern, path

from connect import views_tasks

urlpatterns: list[URLPattern] = [
    path("dossiers/<uuid:dossier_id>/tasks/", views_tasks.task_list, name="tasks"),
    path(
        "dossiers/<uuid:dossier_id>/tasks/calendar/",
        views_tasks.task_calendar,
        name="task_calendar",
    ),
    path("dossiers/<uuid:dossier_id>/tasks/new/", views_tasks.task_create, name="task_create"),
    path(
        "dossiers/<uuid:dossier_id>/tasks/deadlines/",
        views_tasks.task_deadlines,
        name="task_deadlines",
    ),
    path("tasks/<uuid:task_id>/", views_tasks.task_detail, name="task"),
    path("tasks/<uuid:task_id>/done/", views_tasks.task_done, name="task_done"),
    path("tasks/<uuid:task_id>/reopen/", views_tasks.task_reopen, name="task_reopen"),
    path("tasks/<uuid:task_id>/delete/", views_tasks.task_delete, name="task_delete"),
]
