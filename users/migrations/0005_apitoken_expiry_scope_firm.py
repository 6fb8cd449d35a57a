"""API tokens end (issue 16): an expiry, a scope and an optional firm, and why a token was
revoked. Tokens made before this migration keep their full scope and no firm, and expire 90
days after the migration runs (docs/api.md)."""

from datetime import timedelta

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

EXISTING_TOKENS_LIVE_FOR = timedelta(days=90)


def existing_tokens_expire(apps, schema_editor):
    expires = timezone.now() + EXISTING_TOKENS_LIVE_FOR
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            # The table's row-level security binds its owner too: the system scope, for this
            # transaction only.
            cursor.execute("SELECT set_config('portal.scope', 'system', true)")
        cursor.execute(
            "UPDATE users_apitoken SET expires_at = %s WHERE expires_at IS NULL", [expires]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0005_firm_mfa_required_for_staff"),
        ("users", "0004_identity_names_own_and_firm_display_label"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires"),
        ),
        migrations.RunPython(existing_tokens_expire, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="firm",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="dossiers.firm",
                verbose_name="firm",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_because",
            field=models.CharField(
                blank=True,
                choices=[
                    ("owner", "Revoked by its owner"),
                    ("firm_staff", "Revoked by the firm's staff"),
                    ("password", "Password changed"),
                    ("sessions", "Other sessions logged out"),
                    ("deactivated", "Deactivated in a firm"),
                    ("roles_removed", "Last role removed"),
                ],
                default="",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[
                    ("read", "Read"),
                    ("read_upload_acknowledge", "Read, upload and acknowledge"),
                ],
                default="read_upload_acknowledge",
                max_length=30,
                verbose_name="scope",
            ),
        ),
    ]
