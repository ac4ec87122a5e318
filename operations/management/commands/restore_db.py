from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the PostgreSQL database from a pg_dump file (replaces every table)."

    def add_arguments(self, parser):
        parser.add_argument("input", help="A file written by backup_db.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, input, yes, **options):
        if not yes and input_is_refused():
            raise CommandError("Restore cancelled.")
        try:
            replayed = restore(input)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Database restored from {input}; {replayed} erasures of personal "
                          "data carried out again.")


def input_is_refused() -> bool:
    answer = input("This replaces every table of the database. Type 'yes' to go on: ")
    return answer.strip().lower() != "yes"
