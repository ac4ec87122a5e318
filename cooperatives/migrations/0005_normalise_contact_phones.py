"""Contact phones written as a Cameroonian number ("6 77 12 34 56", "00237 677…") are stored
as +237 and 9 digits, the form every path now saves. Unreadable ones are left for a person to
correct (`check_integrity` counts them)."""

import re

from django.db import migrations

NOISE = re.compile(r"[\s.\-/()\u00a0\u202f]+")
PHONE = re.compile(r"(?:\+237|00237|237)?([26]\d{8})")


def normalise(apps, schema_editor):
    Organisation = apps.get_model("cooperatives", "Organisation")
    rows = list(Organisation.objects.exclude(contact_phone="").values_list("pk", "contact_phone"))
    changed = []
    for pk, phone in rows:
        match = PHONE.fullmatch(NOISE.sub("", phone))
        if match and phone != f"+237{match.group(1)}":
            changed.append(Organisation(pk=pk, contact_phone=f"+237{match.group(1)}"))
    Organisation.objects.bulk_update(changed, ["contact_phone"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("cooperatives", "0004_organisation_list_and_history_indexes")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
