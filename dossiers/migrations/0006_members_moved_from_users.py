# The models FirmMembership, DossierAccess and Invitation move from the users app to dossiers
# (issue 17): the firm's members, their dossier roles and the invitations are the firm's. Their
# tables stay users_firmmembership, users_dossieraccess and users_invitation, with their rows,
# indexes, constraints and row-level-security policies (portal/migrations/0005): this migration
# changes Django's state only, no SQL. users/migrations/0006 then forgets them.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0005_firm_mfa_required_for_staff'),
        ('users', '0005_apitoken_expiry_scope_firm'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DossierAccess',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('connect.entrepreneur', 'Connect: entrepreneur'), ('connect.accountant', 'Connect: accountant'), ('view.user', 'View: user'), ('view.admin', 'View: administrator')], max_length=32, verbose_name='role')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='accesses', to='dossiers.dossier')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dossier_accesses', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'dossier access',
                        'verbose_name_plural': 'dossier accesses',
                        'db_table': 'users_dossieraccess',
                        'constraints': [models.UniqueConstraint(fields=('user', 'dossier', 'role'), name='access_unique_user_dossier_role'), models.CheckConstraint(condition=models.Q(('role__in', ['connect.entrepreneur', 'connect.accountant', 'view.user', 'view.admin'])), name='access_role_valid')],
                    },
                ),
                migrations.CreateModel(
                    name='FirmMembership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('level', models.CharField(choices=[('licence_admin', 'Licence admin'), ('power_user', 'Power user'), ('user', 'User')], max_length=20, verbose_name='level')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('display_label', models.CharField(blank=True, max_length=150, verbose_name='display label')),
                        ('firm', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='memberships', to='dossiers.firm')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'firm membership',
                        'verbose_name_plural': 'firm memberships',
                        'db_table': 'users_firmmembership',
                        'constraints': [models.UniqueConstraint(fields=('user', 'firm'), name='membership_unique_user_firm'), models.CheckConstraint(condition=models.Q(('level__in', ['licence_admin', 'power_user', 'user'])), name='membership_level_valid')],
                    },
                ),
                migrations.CreateModel(
                    name='Invitation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('token_hash', models.CharField(blank=True, max_length=64, null=True, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('expires_at', models.DateTimeField()),
                        ('accepted_at', models.DateTimeField(blank=True, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('firm', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dossiers.firm')),
                        ('invited_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'invitation',
                        'verbose_name_plural': 'invitations',
                        'db_table': 'users_invitation',
                        'ordering': ('-created_at',),
                        'constraints': [models.CheckConstraint(condition=models.Q(('accepted_at__isnull', False), ('revoked_at__isnull', False), _negated=True), name='invitation_not_accepted_and_revoked')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
