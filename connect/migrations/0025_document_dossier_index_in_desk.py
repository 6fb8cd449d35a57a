# The plain index on dossier_id repeats the first column of document_desk and misled the
# planner (docs/scaling.md, "The firm dashboard among other firms"). Only that index is
# dropped: an AlterField would also drop and re-add the foreign key, which makes PostgreSQL
# check every document under the table's strongest lock. On PostgreSQL the index is dropped
# (or made again, backwards) CONCURRENTLY: reads and uploads go on meanwhile.

import django.db.models.deletion
from django.db import migrations, models

COLUMN = "dossier_id"


def _concurrently(schema_editor) -> str:
    return " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""


def drop_plain_index(apps, schema_editor) -> None:
    model = apps.get_model("connect", "Document")
    declared = {index.name for index in model._meta.indexes}
    names = schema_editor._constraint_names(
        model, [COLUMN], index=True, type_=models.Index.suffix, exclude=declared
    )
    for name in names:
        schema_editor.execute(
            f"DROP INDEX{_concurrently(schema_editor)} IF EXISTS {schema_editor.quote_name(name)}"
        )


def make_plain_index(apps, schema_editor) -> None:
    model = apps.get_model("connect", "Document")
    table = model._meta.db_table
    name = schema_editor._create_index_name(table, [COLUMN])
    schema_editor.execute(
        f"CREATE INDEX{_concurrently(schema_editor)} IF NOT EXISTS {schema_editor.quote_name(name)} "
        f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(COLUMN)})"
    )


class Migration(migrations.Migration):
    # DROP/CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("connect", "0024_month_summaries"),
        # Dossiers exist from the start; not the latest dossiers migration, so that undoing the
        # model moves (tests/test_migrations_move.py) does not undo this one.
        ("dossiers", "0002_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="document",
                    name="dossier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="documents",
                        to="dossiers.dossier",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_plain_index, make_plain_index)],
        ),
    ]
