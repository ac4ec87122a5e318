from django.core.management.base import BaseCommand

from operations.generator.demo import existing_demo_accounts

BANNER = "DEMO ACCOUNTS — demo only, never in production"


class Command(BaseCommand):
    help = "Print the demo accounts that exist, with their fixed demo passwords."

    def handle(self, *args, **options):
        rows = existing_demo_accounts()
        if not rows:
            self.stdout.write("No demo accounts.")
            return
        width = max(len(BANNER), *(len(u) + len(p) + len(r) + 6 for u, p, r in rows))
        user_w = max(len("username"), *(len(u) for u, _, _ in rows))
        pass_w = max(len("password"), *(len(p) for _, p, _ in rows))
        self.stdout.write(self.style.WARNING("=" * width))
        self.stdout.write(self.style.WARNING(BANNER))
        self.stdout.write(self.style.WARNING("=" * width))
        self.stdout.write(f"{'username':<{user_w}}   {'password':<{pass_w}}   role")
        for username, password, role in rows:
            self.stdout.write(f"{username:<{user_w}}   {password:<{pass_w}}   {role}")
        self.stdout.write(self.style.WARNING("=" * width))
