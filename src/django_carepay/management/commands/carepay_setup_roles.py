"""Create (or bring up to date) the billing roles: the groups "Billing clerk" and
"Billing manager" with carepay's permissions (``permissions.ROLES``). Safe to run again:
a second run changes nothing and says so."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ... import permissions


def _permission_objects(names: tuple[str, ...]) -> list[Permission]:
    wanted = [name.partition(".") for name in names]
    found = {f"{p.content_type.app_label}.{p.codename}": p for p in Permission.objects.filter(
        content_type__app_label__in={app for app, _dot, _code in wanted},
        codename__in={code for _app, _dot, code in wanted},
    ).select_related("content_type")}
    missing = [name for name in names if name not in found]
    if missing:
        raise CommandError(f"Permission(s) {', '.join(missing)} do not exist yet; run "
                           "`manage.py migrate` first.")
    return [found[name] for name in names]


class Command(BaseCommand):
    help = ("Create the groups 'Billing clerk' (bill, record payments, view) and 'Billing "
            "manager' (also refund, approve transfers, void and write off, dashboard) "
            "with carepay's permissions. Run again to bring them up to date.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="Say what would change; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        prefix = "would " if dry_run else ""
        with transaction.atomic():
            for name, perm_names in permissions.ROLES.items():
                wanted = _permission_objects(perm_names)
                group = Group.objects.filter(name=name).first()
                if group is None:
                    self.stdout.write(f"{name}: {prefix}create with {len(wanted)} "
                                      "permission(s).")
                    if not dry_run:
                        Group.objects.create(name=name).permissions.set(wanted)
                    continue
                # Only carepay's permissions are the role's business: anything else the
                # host gave the group (e.g. to see its own appointments) is kept.
                current = set(group.permissions.filter(
                    content_type__app_label=permissions.APP_LABEL))
                add = [p for p in wanted if p not in current]
                remove = sorted(current - set(wanted), key=lambda p: p.codename)
                if not add and not remove:
                    self.stdout.write(f"{name}: up to date.")
                    continue
                changes = [f"add {', '.join(p.codename for p in add)}" if add else "",
                           f"remove {', '.join(p.codename for p in remove)}" if remove else ""]
                self.stdout.write(f"{name}: {prefix}{'; '.join(c for c in changes if c)}.")
                if not dry_run:
                    group.permissions.add(*add)
                    group.permissions.remove(*remove)
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
