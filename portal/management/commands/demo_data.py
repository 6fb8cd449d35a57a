"""Load the demo firms, users and dossiers (DESIGN.md §4), and a year of activity for the
BOULANGERIE and FLEURISTE dossiers (``connect.demo``). Idempotent. Never under production
settings.

Every demo password is the value of DEMO_PASSWORD (default demo-Connect-2026).
"""

import os
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from connect.demo import demo_activity_load
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load

#: The settings module of a real deployment: demo logins with a published password there
#: would be an open door.
PRODUCTION_SETTINGS = "portal.settings.production"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be loaded; change nothing."
        )
        parser.add_argument(
            "--no-activity",
            action="store_true",
            help="Only the firms, users and dossiers: no documents, tasks or messages.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SETTINGS_MODULE == PRODUCTION_SETTINGS:
            raise CommandError(
                "demo_data never runs under production settings: it creates logins whose "
                "password is published. Use portal.settings.local for a trial."
            )
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        started = time.monotonic()
        seeded = None
        with transaction.atomic():
            logins = demo_data_load(password=password)
            # A dry run leaves the activity out: the files it stores would outlive the rollback.
            if not options["no_activity"] and not options["dry_run"]:
                seeded = demo_activity_load()
            if options["dry_run"]:
                transaction.set_rollback(True)
        if options["verbosity"] == 0:
            return
        title = "Demo logins (dry run, nothing saved)" if options["dry_run"] else "Demo logins"
        self.stdout.write(self.style.SUCCESS(f"{title} — password: {password}"))
        for login in logins:
            self.stdout.write(f"  {login.email:<32} {login.level:<14} {login.firm}")
        if seeded and seeded.documents:
            added = ", ".join(f"{code} {count}" for code, count in seeded.documents.items())
            took = time.monotonic() - started
            self.stdout.write(f"A year of activity: documents {added} ({took:.1f} s)")
