# The model ReportSwitch moves to the view app (view/migrations/0001_initial.py, which takes
# it over first): Django's state forgets it here, the table portal_reportswitch stays, no SQL.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0008_auditaction_api_token_revoked'),
        ('view', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ReportSwitch'),
            ],
            database_operations=[],
        ),
    ]
