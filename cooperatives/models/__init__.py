"""The registry's models, one module per concern: organisations (and their filières and
registry events), networks (RELESS, bureau, cooperation links) and workflow (roles, change
requests, import jobs, duplicate flags). Django finds them through this package."""

from .consent import ContactConsent
from .exports import ExportJob
from .labels import LabelKind, OrganisationLabel
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
    PRIMARY_COOPERATIVE_FORMS,
    ContactConsentState,
    LegalForm,
    MemberInterest,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
    RegistryEvent,
    VerificationOutcome,
    verification_cutoff,
    verified_condition,
)
from .summaries import AggregateDirty, AggregateSummary
from .territories import ProjectTerritory, TerritoryMembership
from .verification import VerificationVisit
from .workflow import ChangeRequest, DuplicateFlag, ImportJob, Role, RoleAssignment

__all__ = [
    "AggregateDirty", "AggregateSummary", "COUNT_FIELDS", "LEGAL_MINIMUM_MEMBERS",
    "PRIMARY_COOPERATIVE_FORMS", "BureauMember", "ChangeRequest", "ContactConsent",
    "ContactConsentState", "CooperationLink", "DuplicateFlag", "ExportJob", "ImportJob",
    "LabelKind", "LegalForm", "LinkKind", "LinkStatus", "MemberInterest", "Organisation",
    "OrganisationFiliere", "OrganisationLabel", "OrganisationStatus", "ProjectTerritory",
    "RegistryEvent", "Reless", "Role", "RoleAssignment", "TerritoryMembership",
    "VerificationOutcome", "VerificationVisit", "link_counted_on", "verification_cutoff",
    "verified_condition",
]
