"""Full-text search of the documents' text: a GIN index over the four languages' stemming
(PostgreSQL only; SQLite, the embedded default, searches with LIKE)."""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS document_text_search ON connect_documenttext USING gin (("
    "to_tsvector('french'::regconfig, text) || to_tsvector('dutch'::regconfig, text) || "
    "to_tsvector('german'::regconfig, text) || to_tsvector('english'::regconfig, text)))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS document_text_search")


class Migration(migrations.Migration):
    dependencies = [("connect", "0005_processing_modes")]
    operations = [migrations.RunPython(forwards, backwards)]
