"""Compare View's monthly summaries with a read of the documents (``view.summaries``); exits
with 1 and names each dossier, month and report family that differs. ``--dossier CODE``
(repeatable) limits it; ``manage.py summaries_rebuild`` repairs."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dossiers.models import Dossier
from view.management.commands.summaries_rebuild import dossier_ids
from view.summaries import differences


class Command(BaseCommand):
    help = "Compare View's monthly summaries with the documents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossier", action="append", metavar="CODE")

    def handle(self, *args: Any, **options: Any) -> None:
        found = differences(dossier_ids(options["dossier"]))
        if not found:
            self.stdout.write("The summaries match the documents.")
            return
        codes = dict(
            Dossier.objects.filter(id__in={key[0] for key in found}).values_list("id", "code")
        )
        for dossier_id, month, family in found:
            self.stdout.write(f"{codes.get(dossier_id, dossier_id)} {month:%Y-%m} {family}")
        raise CommandError(f"{len(found)} summaries differ from the documents.")
