"""`manage.py api_token create EMAIL [--name NAME] [--days N] [--read-only]`: a personal API
token for a desktop tool or a script (90 days by default, at most 365; read, upload and
acknowledge unless ``--read-only``). The token is printed alone on the last line, once; only
its hash is kept.
`api_token list EMAIL` shows a user's tokens; `api_token revoke EMAIL PREFIX` revokes one."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ServiceError
from users.models import ApiToken, TokenScope, User, normalize_winbooks_id
from users.services import API_TOKEN_DAYS_DEFAULT, api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a token and print it")
        create.add_argument("email")
        create.add_argument("--name", default="manage.py")
        create.add_argument("--days", type=int, default=API_TOKEN_DAYS_DEFAULT)
        create.add_argument("--read-only", action="store_true")
        listing = actions.add_parser("list", help="list a user's tokens")
        listing.add_argument("email")
        revoke = actions.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("email")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=normalize_winbooks_id(options["email"])).first()
        if user is None:
            raise CommandError(f"No user with the WinBooksID {options['email']!r}.")
        try:
            if options["action"] == "create":
                token, raw = api_token_create(
                    actor=user,
                    name=options["name"],
                    days=options["days"],
                    scope=TokenScope.READ
                    if options["read_only"]
                    else TokenScope.READ_UPLOAD_ACKNOWLEDGE,
                )
                self.stdout.write(f"Token {token.name!r} for {user.email} (shown once):")
                self.stdout.write(raw)
            elif options["action"] == "list":
                for token in ApiToken.objects.filter(user=user):
                    state = (
                        "revoked"
                        if token.revoked_at
                        else "expired"
                        if token.is_expired
                        else f"active until {token.expires_at:%Y-%m-%d}"
                    )
                    used = token.last_used_at.isoformat() if token.last_used_at else "never"
                    self.stdout.write(
                        f"{token.prefix}…\t{token.name}\t{token.created_at:%Y-%m-%d}\t"
                        f"{token.scope}\tlast used {used}\t{state}"
                    )
            else:
                found = ApiToken.objects.filter(
                    user=user, prefix=options["prefix"].rstrip("…")
                ).first()
                if found is None:
                    raise CommandError("No such token.")
                api_token_revoke(actor=user, token=found)
                self.stdout.write(f"Revoked {found.prefix}…")
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from None
