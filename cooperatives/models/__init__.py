"""The registry's models, one module per concern: organisations (and their filières and
registry events), networks (RELESS, bureau, cooperation links) and workflow (roles, change
requests, import jobs, duplicate flags). Django finds them through this package."""

from .consent import ContactConsent
from .exports import ExportJob
from .networks import (
    BureauMember,
    CooperationLink,
    LinkKind,
    LinkStatus,
    Reless,
    link_counted_on,
)
from .organisations import (
    COUNT_FIELDS,
    LEGAL_MINIMUM_MEMBERS,
    ContactConsentState,
    LegalForm,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
    RegistryEvent,
    VerificationOutcome,
    verification_cutoff,
    verified_condition,
)
from .summaries import AggregateDirty, AggregateSummary
from .verification import VerificationVisit
from .workflow import ChangeRequest, DuplicateFlag, ImportJob, Role, RoleAssignment

__all__ = [
    "AggregateDirty", "AggregateSummary", "COUNT_FIELDS", "LEGAL_MINIMUM_MEMBERS",
    "BureauMember", "ChangeRequest", "ContactConsent",
    "ContactConsentState", "CooperationLink",
    "DuplicateFlag", "ExportJob", "ImportJob", "LegalForm", "LinkKind", "LinkStatus",
    "Organisation",
    "OrganisationFiliere", "OrganisationStatus", "RegistryEvent", "Reless", "Role",
    "RoleAssignment", "VerificationOutcome", "VerificationVisit", "link_counted_on",
    "verification_cutoff", "verified_condition",
]
