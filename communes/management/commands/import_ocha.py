from django.core.management.base import BaseCommand, CommandError

from communes.importers import ReferenceDataError, import_admin_tables, import_boundaries


class Command(BaseCommand):
    help = ("Import regions, departments and communes from OCHA COD-AB admin1-3.csv, then "
            "optionally commune boundaries (GeoJSON) and points (CSV). Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--admin-dir", required=True,
                            help="folder holding admin1.csv, admin2.csv and admin3.csv")
        parser.add_argument("--boundaries", help="GeoJSON FeatureCollection of commune polygons")
        parser.add_argument("--points",
                            help="CSV with commune_pcode, latitude, longitude (wins over polygons)")
        parser.add_argument("--pcode-property", default="commune_pcode",
                            help="feature property holding the commune P-code")

    def handle(self, *args, **options):
        try:
            self._write("Admin tables", import_admin_tables(admin_dir=options["admin_dir"]))
            if options["boundaries"] or options["points"]:
                report = import_boundaries(boundaries=options["boundaries"],
                                           points=options["points"],
                                           pcode_property=options["pcode_property"])
                self._write("Boundaries and points", report)
        except (OSError, ReferenceDataError) as error:
            raise CommandError(str(error)) from error

    def _write(self, title, report):
        self.stdout.write(self.style.MIGRATE_HEADING(title))
        for line in report.lines():
            self.stdout.write(f"  {line}")
