from django.core.management.base import BaseCommand, CommandError

from operations.integrity import CHECKS, run_checks
from operations.models import IntegrityCheckRun


class Command(BaseCommand):
    help = "Run every integrity check; exit status 1 when any finds a fault."

    def handle(self, *args, **options):
        results = run_checks()
        IntegrityCheckRun.objects.create(results=results,
                                         faults=sum(len(v) for v in results.values()))
        for check in CHECKS:
            found = results[check.code]
            mark = self.style.SUCCESS("ok") if not found else self.style.ERROR(f"{len(found)}")
            self.stdout.write(f"{mark:>6}  {check.code}: {check.description}"
                              + (f" (e.g. {found[:5]})" if found else ""))
        faulty = [code for code, found in results.items() if found]
        if faulty:
            raise CommandError(f"{len(faulty)} integrity check(s) failed: {', '.join(faulty)}")
        self.stdout.write(f"All {len(CHECKS)} integrity checks passed.")
