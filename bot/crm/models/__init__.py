"""The CRM data model. Importing this package registers every table on ``Base.metadata``."""

from bot.crm.models.activity import (
    Activity,
    ActivityAttendee,
    ActivityType,
    Percent,
    Reminder,
    ReminderStatus,
)
from bot.crm.models.audit import AuditLog, ProcessedMessage
from bot.crm.models.base import Base, UTCDateTime, model_to_dict, utcnow
from bot.crm.models.commerce import (
    Contract,
    ContractStatus,
    Invoice,
    InvoiceStatus,
    InvoiceType,
    Order,
    OrderStatus,
    Payment,
    PaymentAllocation,
    Quote,
    QuoteStatus,
)
from bot.crm.models.contact import Contact, ContactEmail
from bot.crm.models.conversation import PendingQuestion
from bot.crm.models.customfield import CustomFieldDefinition
from bot.crm.models.document import Document
from bot.crm.models.email import EmailMessage, EmailStatus, ImapState
from bot.crm.models.gdpr import Consent, ConsentPurpose, NeverLog, Unsubscribe
from bot.crm.models.project import OpportunityStatus, Project, ProjectStatus, Task
from bot.crm.models.schedule import DigestRun, OutboxMail, SendStatus
from bot.crm.models.tag import ContactTag, ProjectTag, Tag, TagType, ThirdPartyTag
from bot.crm.models.thirdparty import (
    CustomerType,
    ProspectLevel,
    ProspectStatus,
    SalesRep,
    ThirdParty,
    ThirdPartyDomain,
    ThirdPartyKey,
    ThirdPartyStatus,
)
from bot.crm.models.ticket import OPEN_TICKET_STATUSES, Ticket, TicketStatus
from bot.crm.models.user import (
    ChannelIdentity,
    Group,
    GroupMember,
    GroupRight,
    LinkCode,
    User,
    UserEmail,
    UserRight,
)

__all__ = [
    "OPEN_TICKET_STATUSES",
    "Activity",
    "ActivityAttendee",
    "ActivityType",
    "AuditLog",
    "Base",
    "ChannelIdentity",
    "Consent",
    "ConsentPurpose",
    "Contact",
    "ContactEmail",
    "ContactTag",
    "Contract",
    "ContractStatus",
    "CustomFieldDefinition",
    "CustomerType",
    "DigestRun",
    "Document",
    "EmailMessage",
    "EmailStatus",
    "Group",
    "GroupMember",
    "GroupRight",
    "ImapState",
    "Invoice",
    "InvoiceStatus",
    "InvoiceType",
    "LinkCode",
    "NeverLog",
    "OpportunityStatus",
    "Order",
    "OrderStatus",
    "OutboxMail",
    "Payment",
    "PaymentAllocation",
    "PendingQuestion",
    "Percent",
    "ProcessedMessage",
    "Project",
    "ProjectStatus",
    "ProjectTag",
    "ProspectLevel",
    "ProspectStatus",
    "Quote",
    "QuoteStatus",
    "Reminder",
    "ReminderStatus",
    "SalesRep",
    "SendStatus",
    "Tag",
    "TagType",
    "Task",
    "ThirdParty",
    "ThirdPartyDomain",
    "ThirdPartyKey",
    "ThirdPartyStatus",
    "ThirdPartyTag",
    "Ticket",
    "TicketStatus",
    "UTCDateTime",
    "Unsubscribe",
    "User",
    "UserEmail",
    "UserRight",
    "model_to_dict",
    "utcnow",
]
