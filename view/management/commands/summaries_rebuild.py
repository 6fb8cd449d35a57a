"""Recompute View's monthly summaries from the documents (``view.summaries``): after a restore,
or a bulk load that went around the ORM. ``--dossier CODE`` (repeatable) limits it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from dossiers.models import Dossier
from view.summaries import rebuild


def dossier_ids(codes: list[str] | None) -> list[int] | None:
    if not codes:
        return None
    found = dict(Dossier.objects.filter(code__in=codes).values_list("code", "id"))
    missing = sorted(set(codes) - set(found))
    if missing:
        raise CommandError(f"Unknown dossier: {', '.join(missing)}")
    return list(found.values())


class Command(BaseCommand):
    help = "Recompute View's monthly summaries from the documents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossier", action="append", metavar="CODE")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            months = rebuild(dossier_ids(options["dossier"]))
        self.stdout.write(f"{months} dossier-months recomputed.")
