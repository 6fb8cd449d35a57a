# The model ReportSwitch moves from the portal app to view (issue 17). Its table stays
# portal_reportswitch, with its rows, constraints and row-level-security policy
# (portal/migrations/0005): this migration changes Django's state only, no SQL.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('dossiers', '0004_cartouche_exhausted_notified_at'),
        ('portal', '0008_auditaction_api_token_revoked'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ReportSwitch',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('report', models.CharField(max_length=40)),
                        ('switched_at', models.DateTimeField(auto_now=True)),
                        ('dossier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='dossiers.dossier')),
                        ('firm', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='dossiers.firm')),
                        ('switched_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'report switched off',
                        'verbose_name_plural': 'reports switched off',
                        'db_table': 'portal_reportswitch',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('dossier__isnull', True)), fields=('firm', 'report'), name='report_switch_firm_unique'), models.UniqueConstraint(condition=models.Q(('dossier__isnull', False)), fields=('dossier', 'report'), name='report_switch_dossier_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
