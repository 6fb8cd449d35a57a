from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from connect.documents import inbound_webhook
from connect.documents import views_reads as reads_views
from portal import health, views, views_invitation, views_tokens
from portal import views_dossiers as dossier_views
from portal import views_users as firm_user_views
from users import views as user_views

portal_patterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("hub/", views.hub, name="hub"),
    path("language/", views.language_set, name="language"),
    path("portal/", views.portal_home, name="portal"),
    path("portal/firms/<uuid:firm_id>/", views.portal_firm, name="firm"),
    path(
        "portal/firms/<uuid:firm_id>/dossiers/new/",
        dossier_views.dossier_create,
        name="dossier_create",
    ),
    path("portal/dossiers/<uuid:dossier_id>/", dossier_views.dossier_detail, name="dossier"),
    path(
        "portal/dossiers/<uuid:dossier_id>/connect/",
        dossier_views.dossier_connect,
        name="dossier_connect",
    ),
    path(
        "portal/dossiers/<uuid:dossier_id>/connect/test/",
        dossier_views.connection_test_result,
        name="dossier_connection_test",
    ),
    path(
        "portal/dossiers/<uuid:dossier_id>/connect/test/run/",
        dossier_views.connection_test_start,
        name="dossier_connection_test_run",
    ),
    path(
        "portal/dossiers/<uuid:dossier_id>/reads/", reads_views.dossier_reads, name="dossier_reads"
    ),
    path(
        "portal/dossiers/<uuid:dossier_id>/reads.csv",
        reads_views.dossier_reads_csv,
        name="dossier_reads_csv",
    ),
    path("portal/firms/<uuid:firm_id>/users/", firm_user_views.user_list, name="users"),
    path("portal/firms/<uuid:firm_id>/credits/", dossier_views.credits, name="credits"),
    path("portal/firms/<uuid:firm_id>/users/new/", firm_user_views.user_create, name="user_create"),
    path(
        "portal/firms/<uuid:firm_id>/users/<uuid:user_id>/",
        firm_user_views.user_detail,
        name="user",
    ),
    path(
        "portal/firms/<uuid:firm_id>/users/<uuid:user_id>/invitation/send/",
        firm_user_views.user_invitation_send,
        name="user_invitation_send",
    ),
    path(
        "portal/firms/<uuid:firm_id>/users/<uuid:user_id>/invitation/revoke/",
        firm_user_views.user_invitation_revoke,
        name="user_invitation_revoke",
    ),
    path("portal/firms/<uuid:firm_id>/staff/", firm_user_views.staff_search, name="staff_search"),
    path(
        "portal/firms/<uuid:firm_id>/tokens/",
        firm_user_views.firm_api_tokens,
        name="firm_api_tokens",
    ),
    path(
        "portal/firms/<uuid:firm_id>/tokens/<uuid:token_id>/revoke/",
        firm_user_views.firm_api_token_revoke,
        name="firm_api_token_revoke",
    ),
    path("tokens/", views_tokens.api_tokens, name="api_tokens"),
    path(
        "tokens/<uuid:token_id>/revoke/",
        user_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("view/", views.view_home, name="view"),
    path("", include("view.urls")),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    # Probes (portal/health.py): answered by HealthCheckMiddleware before sessions and login.
    path("health/", health.health_web, name="health"),
    path("health/db/", health.health_db, name="health_db"),
    path("health/redis/", health.health_redis, name="health_redis"),
    path("health/worker/", health.health_worker, name="health_worker"),
    path("connect/", include("connect.urls")),
    path("api/v1/", include(("connect.api.urls", "api"))),
    path("accounts/", include("users.urls")),
    path("invitation/<str:token>/", views_invitation.invitation_accept, name="invitation_accept"),
    path("admin/", admin.site.urls),
    # Inbound mail from a provider (Postmark's format), protected by INBOUND_WEBHOOK_SECRET.
    path(
        "inbound/postmark/",
        inbound_webhook.postmark_inbound,
        name="inbound_postmark",
    ),
]
