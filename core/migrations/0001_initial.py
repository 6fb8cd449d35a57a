# The mail outbox (OutboundEmail) and the audit trail (AuditEvent) move from the portal app to
# the kernel (issue 17). Their tables stay portal_outboundemail and portal_auditevent, with their
# rows, indexes, constraints and row-level-security policies (portal/migrations/0005): this
# migration changes Django's state only, no SQL.

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('dossiers', '0005_firm_mfa_required_for_staff'),
        ('portal', '0009_reportswitch_moved_to_view'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OutboundEmail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('kind', models.CharField(max_length=50)),
                        ('to', models.CharField(max_length=254)),
                        ('subject', models.CharField(max_length=255)),
                        ('payload', models.JSONField()),
                        ('status', models.CharField(choices=[('pending', 'pending'), ('sent', 'sent'), ('failed', 'failed')], default='pending', max_length=10)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('last_error', models.CharField(blank=True, max_length=500)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'verbose_name': 'outgoing e-mail',
                        'verbose_name_plural': 'outgoing e-mails',
                        'db_table': 'portal_outboundemail',
                        'indexes': [models.Index(fields=['status', 'created_at'], name='outbound_status_created')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'sent', 'failed'])), name='outbound_status_valid')],
                    },
                ),
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(choices=[('user.created', 'User created'), ('user.linked', 'Existing WinBooksID added to the firm'), ('user.changed', 'User changed'), ('user.deactivated', 'User deactivated'), ('user.reactivated', 'User reactivated'), ('user.level_changed', 'Level changed'), ('access.roles_changed', 'Dossier roles changed'), ('invitation.sent', 'Invitation sent'), ('invitation.accepted', 'Invitation accepted'), ('invitation.revoked', 'Invitation revoked'), ('dossier.created', 'Dossier created'), ('dossier.changed', 'Dossier information changed'), ('dossier.connect_switched', 'Connect switched'), ('dossier.accountant_changed', 'Accountant changed'), ('dossier.mode_changed', 'Default processing mode changed'), ('view.report_switched', 'View report switched on or off'), ('firm.mfa_required', 'Two-factor authentication for staff changed'), ('connect.supplier_account', 'Supplier bank account confirmed'), ('dossier.inbound_rotated', 'E-mail address of the dossier changed'), ('api_token.revoked', 'API token revoked')], max_length=40)),
                        ('before', models.JSONField(blank=True, default=dict)),
                        ('after', models.JSONField(blank=True, default=dict)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('dossier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dossiers.dossier')),
                        ('firm', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dossiers.firm')),
                        ('subject_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'audit event',
                        'verbose_name_plural': 'audit events',
                        'db_table': 'portal_auditevent',
                        'ordering': ('-created_at', '-id'),
                        'indexes': [models.Index(fields=['firm', 'dossier', '-created_at'], name='audit_firm_dossier'), models.Index(fields=['firm', 'subject_user', '-created_at'], name='audit_firm_user')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
