"""Load the demo firms, users and dossiers (DESIGN.md §4). Idempotent.

Every demo password is the value of DEMO_PASSWORD (default demo-Connect-2026).
"""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be loaded; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        with transaction.atomic():
            logins = demo_data_load(password=password)
            if options["dry_run"]:
                transaction.set_rollback(True)
        if options["verbosity"] == 0:
            return
        title = "Demo logins (dry run, nothing saved)" if options["dry_run"] else "Demo logins"
        self.stdout.write(self.style.SUCCESS(f"{title} — password: {password}"))
        for login in logins:
            self.stdout.write(f"  {login.email:<32} {login.level:<14} {login.firm}")
