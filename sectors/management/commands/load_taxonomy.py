from django.core.management.base import BaseCommand

from sectors.taxonomy import load_taxonomy


class Command(BaseCommand):
    help = "Load the shipped taxonomy (ministries, sectors, filières); safe to run again."

    def handle(self, *args, **options):
        for kind, counts in load_taxonomy().items():
            self.stdout.write(f"{kind}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
