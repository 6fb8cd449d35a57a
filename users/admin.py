from django.contrib import admin

from users.models import DossierAccess, FirmMembership, User


class MembershipInline(admin.TabularInline):
    model = FirmMembership
    extra = 0
    autocomplete_fields = ("firm",)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "first_name", "last_name", "language", "is_active", "is_superuser")
    list_filter = ("is_active", "is_superuser", "language")
    search_fields = ("email", "first_name", "last_name")
    fields = (
        "email",
        "first_name",
        "last_name",
        "language",
        "is_active",
        "is_superuser",
        "last_login",
        "date_joined",
    )
    readonly_fields = ("last_login", "date_joined")
    inlines = (MembershipInline,)


@admin.register(DossierAccess)
class DossierAccessAdmin(admin.ModelAdmin):
    list_display = ("user", "dossier", "role")
    list_filter = ("role",)
    search_fields = ("user__email", "dossier__code", "dossier__name")
    autocomplete_fields = ("user", "dossier")
