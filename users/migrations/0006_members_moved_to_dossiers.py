# The models FirmMembership, DossierAccess and Invitation move to the dossiers app
# (dossiers/migrations/0006, which takes them over first): Django's state forgets them here,
# their tables users_firmmembership, users_dossieraccess and users_invitation stay, no SQL.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0005_apitoken_expiry_scope_firm'),
        ('dossiers', '0006_members_moved_from_users'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='DossierAccess'),
                migrations.DeleteModel(name='FirmMembership'),
                migrations.DeleteModel(name='Invitation'),
            ],
            database_operations=[],
        ),
    ]
