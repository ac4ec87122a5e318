import time

from django.core.management.base import BaseCommand, CommandError

from operations.generator.dataset import generate_dataset
from operations.generator.demo import create_demo_accounts, default_demo_communes
from operations.generator.selection import SCALES, DatasetError


class Command(BaseCommand):
    help = ("Generate a seeded synthetic dataset (organisations, links, RELESS, diagnostics, "
            "interventions) for the communes already in the database. Does nothing when those "
            "communes already hold organisations.")

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo",
                            help="tiny: 2 communes; demo: 3 departments; national: every commune")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--communes", default="",
                            help="comma-separated commune P-codes instead of the scale's default")
        parser.add_argument("--demo-accounts", action="store_true",
                            help="also create the demo accounts (fixed passwords: demo only)")

    def handle(self, *args, scale, seed, communes, demo_accounts, verbosity, **options):
        pcodes = [p.strip() for p in communes.split(",") if p.strip()] or None
        started = time.monotonic()
        try:
            result = generate_dataset(scale=scale, seed=seed, pcodes=pcodes,
                                      progress=self.stdout.write if verbosity > 1 else None)
        except DatasetError as error:
            raise CommandError(str(error)) from error
        if result.skipped:
            self.stdout.write(self.style.WARNING(result.message))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"{scale} dataset, seed {seed}: {len(result.communes)} communes in "
                f"{time.monotonic() - started:.1f} s"))
            for label, count in result.counts.items():
                self.stdout.write(f"  {label}: {count:,}")
        if demo_accounts:
            accounts = create_demo_accounts(communes=default_demo_communes())
            self.stdout.write(f"Demo accounts: {len(accounts)} (see print_demo_accounts)")
