"""The register of personal data (Cameroon's Law No. 2024/017): every field of the platform
that holds data about a person, why it is kept, on which legal basis, who reads it and for
how long.

It is data, not code that touches the models (the lowest floor may not import them): the
privacy notice pages (FR/EN) are generated from it, a person's export and erasure walk it,
and `tests/privacy/test_register.py` fails when a model gains a field that looks personal
(a person's name, a phone, an e-mail, an address) without an entry here or in NOT_PERSONAL.

The history tables kept by django-simple-history (`Historical<Model>`) copy the fields of
their model: an entry covers both, and an erasure pseudonymises both.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Basis(models.TextChoices):
    """Legal bases of Law No. 2024/017 used by the platform."""

    CONSENT = "consent", _("Consent of the person")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    PUBLIC_TASK = "public_task", _("Task of public interest of the commune and the State")


# Years after the end of the relation (dissolution, end of mandate) after which the nightly
# task pseudonymises a person's data (settings.PERSONAL_DATA_RETENTION_YEARS overrides).
DEFAULT_RETENTION_YEARS = 5


@dataclass(frozen=True)
class Entry:
    code: str                 # stable identifier, used in exports and erasure logs
    model: str                # "app_label.ModelName"
    fields: tuple[str, ...]
    category: str             # what the data is, for people
    purpose: str
    basis: str                # a Basis value
    readers: str              # who may see it
    retention: str            # how long it is kept
    erasable: bool = True     # whether a person's erasure request removes it
    refusal: str = ""         # the legal reason when it is not erasable
    history: bool = True      # whether simple_history keeps copies of the fields
    copies: tuple[str, ...] = ()  # other "app.Model.field" that may hold copies of the values

    @property
    def basis_label(self) -> str:
        return Basis(self.basis).label


REGISTER: tuple[Entry, ...] = (
    Entry(
        code="organisation_contact",
        model="cooperatives.Organisation",
        fields=("contact_name", "contact_phone", "contact_email"),
        category=_("Contact person of an organisation: name, phone, e-mail"),
        purpose=_("Reach the organisation about the registry, its RELESS and the programmes "
                  "that could support it."),
        basis=Basis.CONSENT,
        readers=_("The CTD agents of the organisation's commune, the organisation's "
                  "representatives and the national administrators. Never ministries, "
                  "reviewers, the public or open data."),
        retention=_("While the organisation is registered and the consent stands; "
                    "pseudonymised 5 years after the organisation's dissolution."),
        copies=("cooperatives.ChangeRequest.changes", "cooperatives.ImportJob.content",
                "cooperatives.ImportJob.result"),
    ),
    Entry(
        code="organisation_description",
        model="cooperatives.Organisation",
        fields=("description",),
        category=_("Free description of an organisation (may name people)"),
        purpose=_("Describe the organisation's activity to the commune."),
        basis=Basis.PUBLIC_TASK,
        readers=_("The CTD agents of the commune, the organisation's representatives and the "
                  "national administrators."),
        retention=_("While the organisation is registered."),
        copies=("cooperatives.ChangeRequest.changes",),
    ),
    Entry(
        code="bureau_member",
        model="cooperatives.BureauMember",
        fields=("person_name",),
        category=_("Name of a member of a RELESS bureau"),
        purpose=_("Keep the governance of the commune's network of social-economy "
                  "organisations (who holds which office, when)."),
        basis=Basis.PUBLIC_TASK,
        readers=_("The CTD agents of the commune, the representatives of its organisations and "
                  "the national administrators; the public sees the office, never the name."),
        retention=_("During the mandate; pseudonymised 5 years after the mandate's end."),
        erasable=False,
        refusal=_("A current office holder of the RELESS bureau is part of the commune's "
                  "public record of its network (public task): the name is erased once the "
                  "mandate has ended."),
    ),
    Entry(
        code="diagnostic_actor",
        model="diagnostics.DiagnosticActor",
        fields=("name", "role"),
        category=_("Actors of a territorial diagnostic who may be persons (traditional "
                   "authorities, individuals)"),
        purpose=_("Describe who acts in the commune's territory in its development plan "
                  "diagnostic."),
        basis=Basis.PUBLIC_TASK,
        readers=_("The CTD agents of the commune, its representatives and the national "
                  "administrators; ministries see institutions only."),
        retention=_("As long as the diagnostic (a record of the commune's development plan)."),
        erasable=False,
        refusal=_("A validated diagnostic is the commune's record of its development plan "
                  "(legal obligation of the communes' planning): it is not rewritten."),
    ),
    Entry(
        code="user_account",
        model="accounts.User",
        fields=("username", "first_name", "last_name", "email"),
        category=_("Accounts of the platform's users: user name, name, e-mail"),
        purpose=_("Sign in, send notices, and record who changed what in the registry."),
        basis=Basis.PUBLIC_TASK,
        readers=_("The person; the national administrators; the authors of changes are shown "
                  "to those who see the changed records."),
        retention=_("While the account is active; the author of past changes is kept with "
                    "the history of the registry."),
        erasable=False,
        refusal=_("The author of each change to a public registry is kept to answer for it "
                  "(accountability of the registry): an account is deactivated, not erased."),
        history=False,
    ),
    Entry(
        code="access_log",
        model="accounts.AccessLog",
        fields=("user", "object_id", "fields", "path"),
        category=_("Who viewed which person's data, when"),
        purpose=_("Show each person and the authority who read their data."),
        basis=Basis.LEGAL_OBLIGATION,
        readers=_("The national administrators; a commune's CTD agents for their commune."),
        retention=_("1 year."),
        erasable=False,
        refusal=_("The log of who read personal data is kept for the accountability the law "
                  "requires; it holds no value of the data read."),
        history=False,
    ),
    Entry(
        code="consent",
        model="cooperatives.ContactConsent",
        fields=("recorded_by", "document_reference", "note"),
        category=_("Consent records: when and how a contact person consented or withdrew"),
        purpose=_("Prove the consent on which the contact is kept."),
        basis=Basis.LEGAL_OBLIGATION,
        readers=_("The CTD agents of the commune and the national administrators."),
        retention=_("5 years after the consent is withdrawn or the contact erased."),
        erasable=False,
        refusal=_("The proof of a consent is kept as long as the law may ask for it."),
        history=False,
    ),
    Entry(
        code="verification_visit",
        model="cooperatives.VerificationVisit",
        fields=("visited_by", "latitude", "longitude", "note"),
        category=_("Verification visits of organisations: the agent who recorded the visit, "
                   "the point of their phone during it, the note (which may name people)"),
        purpose=_("Prove that an organisation really exists before it is supported, and say "
                  "who checked it, where and when."),
        basis=Basis.PUBLIC_TASK,
        readers=_("The CTD agents of the organisation's commune, its representatives and the "
                  "national administrators. Ministries and reviewers see only the day and "
                  "what was found."),
        retention=_("As long as the organisation is registered; with its record after its "
                    "dissolution."),
        erasable=False,
        refusal=_("A verification visit is the commune's record of an organisation's proof "
                  "of existence (public task): the agent who recorded it answers for it. A "
                  "note naming a person is corrected by the national administrators."),
        history=False,
    ),
    Entry(
        code="offline_entry",
        model="offline.SyncChange",
        fields=("base", "values", "conflicts"),
        category=_("Changes typed offline and sent for sync (they may hold an organisation's "
                   "contact)"),
        purpose=_("Apply an offline entry awaiting sync exactly once, and keep both sides of "
                  "a conflict until an agent resolves it."),
        basis=Basis.PUBLIC_TASK,
        readers=_("The person who sent it, the CTD agents of its commune and the national "
                  "administrators."),
        retention=_("1 year after it was received (an open conflict until it is resolved)."),
        history=False,
    ),
    Entry(
        code="rights_request",
        model="privacy.RightsRequest",
        fields=("subject", "note", "handled_by"),
        category=_("Requests of people to see, correct or erase their data"),
        purpose=_("Answer the request within the legal delay and prove it was answered."),
        basis=Basis.LEGAL_OBLIGATION,
        readers=_("The CTD agents of the commune and the national administrators."),
        retention=_("5 years."),
        erasable=False,
        refusal=_("A request's record is the proof it was answered (legal obligation)."),
        history=False,
    ),
)

# Fields whose names look personal but which hold no data about a person, with the reason.
NOT_PERSONAL: dict[str, str] = {
    "cooperatives.Organisation.name": "the organisation's name (a legal person)",
    "cooperatives.Organisation.name_folded": "the organisation's name folded for the search "
    "(accents and case aside), computed by the database",
    "cooperatives.Reless.name": "the network's name",
    "cooperatives.OrganisationLabel.name": "the name of a label or geographical indication "
    "(e.g. Poivre de Penja)",
    "cooperatives.ProjectTerritory.name": "a project territory's name (a group of communes)",
    "communes.Region.name_fr": "a place", "communes.Region.name_en": "a place",
    "communes.Department.name_fr": "a place", "communes.Department.name_en": "a place",
    "communes.Commune.name_fr": "a place", "communes.Commune.name_en": "a place",
    "cooperatives.ImportJob.file_name": "the name of an uploaded file",
    "cooperatives.ExportJob.file_name": "a random name of an export's file (the file itself, "
    "contacts included where the export shows them, is its owner's for EXPORT_KEEP_HOURS)",
    "cooperatives.ExportJob.download_name": "what the export holds and its date",
    "accounts.ApiToken.name": "a label the user gives to a token",
    "accounts.User.email_notifications": "a yes/no preference, not an address",
    "accounts.Notification.emailed_at": "when a notice was e-mailed, not to which address",
    "cooperatives.Organisation.contact_consent": "the state of the contact's consent (given, "
    "missing, withdrawn), kept in step with the ContactConsent records of the `consent` "
    "entry: it names nobody",
    "sectors.Filiere.name_fr": "a value chain", "sectors.Filiere.name_en": "a value chain",
    "sectors.Sector.name_fr": "a sector", "sectors.Sector.name_en": "a sector",
    "sectors.Ministry.name_fr": "a ministry", "sectors.Ministry.name_en": "a ministry",
}


def entries_for(model_label: str) -> tuple[Entry, ...]:
    return tuple(e for e in REGISTER if e.model == model_label)


def entry(code: str) -> Entry:
    return next(e for e in REGISTER if e.code == code)


def personal_fields(model_label: str) -> tuple[str, ...]:
    """Every registered personal field of the model, in the register's order."""
    return tuple(f for e in entries_for(model_label) for f in e.fields)
