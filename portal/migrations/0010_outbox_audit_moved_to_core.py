# The mail outbox and the audit trail move to the kernel (core/migrations/0001_initial.py, which
# takes them over first): Django's state forgets them here, the tables portal_outboundemail and
# portal_auditevent stay, no SQL.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0009_reportswitch_moved_to_view'),
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='OutboundEmail'),
                migrations.DeleteModel(name='AuditEvent'),
            ],
            database_operations=[],
        ),
    ]
