from django.contrib import admin
from django.db import models

from dossiers.models import Cartouche, Dossier, DossierAccess, Firm, FirmMembership
from users.admin import UserAdmin as PersonAdmin
from users.models import User


class CartoucheInline(admin.TabularInline):
    model = Cartouche
    extra = 0


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ("name", "licence_kind", "created_at")
    list_filter = ("licence_kind",)
    search_fields = ("name",)
    inlines = (CartoucheInline,)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "firm", "connect_enabled", "default_processing_mode")
    list_filter = ("connect_enabled", "default_processing_mode")
    search_fields = ("code", "name", "firm__name")
    list_select_related = ("firm",)
    autocomplete_fields = ("firm", "accountant")
    readonly_fields = ("public_id", "inbound_email_token")


class MembershipInline(admin.TabularInline):
    model = FirmMembership
    extra = 0
    autocomplete_fields = ("firm",)


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(PersonAdmin):
    """The person, with their memberships of firms (the firm's rows)."""

    inlines = (MembershipInline,)


@admin.register(DossierAccess)
class DossierAccessAdmin(admin.ModelAdmin):
    list_display = ("user", "dossier", "role")
    list_filter = ("role",)
    search_fields = ("user__email", "dossier__code", "dossier__name")
    autocomplete_fields = ("user", "dossier")
