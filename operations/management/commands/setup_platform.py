"""First-run set-up behind `make run`: reference data, taxonomy, optional demo data (the
dataset, the demo accounts, the first reports and a demo year signed off).

Idempotent and quick on a second run: what is loaded already is left alone."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from communes.importers import import_admin_tables, import_boundaries
from communes.models import Commune
from operations.generator.demo_signoff import sign_off_demo_year
from reports.models import ReportRun
from reports.tasks import request_national_recompute, request_territory_reports
from sectors.taxonomy import load_taxonomy

OCHA_DIR = Path("raw") / "ocha_cod_ab_2018_via_cartong"
BOUNDARIES = "cameroon_communes_simplified.geojson"
POINTS = "cameroon_communes.csv"


class Command(BaseCommand):
    help = "Load the taxonomy, the official territory (if available) and, with --demo, demo data."

    def add_arguments(self, parser):
        parser.add_argument("--reference-dir", default=settings.RELESS_REFERENCE_DIR)
        parser.add_argument("--demo", action="store_true", help="Generate the demo dataset.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, reference_dir, demo, seed, **options):
        counts = load_taxonomy()
        self.stdout.write(f"Taxonomy: {counts}")
        self._territory(Path(reference_dir))
        if demo and Commune.objects.exists():
            call_command("generate_dataset", scale="demo", seed=seed, demo_accounts=True,
                         stdout=self.stdout)
            self._first_reports()
            self.stdout.write(sign_off_demo_year())

    def _first_reports(self) -> None:
        """Compute both reports once for every commune, every active project territory and
        the country, if never done (in process without Redis; queued for the worker with
        it)."""
        if ReportRun.objects.filter(scope="national").exists():
            return
        year = timezone.localdate().year
        with transaction.atomic():
            request_national_recompute(year=year)
            request_territory_reports(year=year)
        self.stdout.write("Reports: national, commune and project territory runs requested.")

    def _territory(self, folder: Path) -> None:
        admin_dir = folder / OCHA_DIR
        if not (admin_dir / "admin3.csv").exists():
            self.stdout.write(self.style.WARNING(
                f"No OCHA tables in {admin_dir}: territory not loaded. Download the COD-AB "
                "Cameroon admin1/2/3 CSV tables from HDX (cod-ab-cmr) and set "
                "RELESS_REFERENCE_DIR."))
            return
        if Commune.objects.filter(boundary__isnull=False).count() >= 360:
            self.stdout.write("Territory: already loaded.")
            return
        report = import_admin_tables(admin_dir=admin_dir)
        self.stdout.write(f"Territory: {report}")
        points = folder / POINTS
        geo = import_boundaries(boundaries=folder / BOUNDARIES,
                                points=points if points.exists() else None)
        self.stdout.write(f"Boundaries: {geo}")
