from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from operations.backup import BackupError, dump


class Command(BaseCommand):
    help = "Dump the PostgreSQL database (pg_dump custom format) to a file."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=None,
                            help="File to write (default: backups/reless-<timestamp>.dump).")

    def handle(self, *args, output, **options):
        path = output or f"backups/reless-{timezone.now():%Y%m%d-%H%M%S}.dump"
        try:
            written = dump(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Database dumped to {written} ({written.stat().st_size:,} bytes).")
