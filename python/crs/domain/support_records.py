"""What support cases, their notes and customer feedback keep (JSON via ``crs.domain.records``)."""

from __future__ import annotations

from dataclasses import dataclass

# crs.v1.CaseStatus numbers and the names used in the cases_by_customer partition key.
OPEN, ASSIGNED, RESOLVED = 1, 2, 3
STATUS_NAMES = {OPEN: "OPEN", ASSIGNED: "ASSIGNED", RESOLVED: "RESOLVED"}
STATUS_ORDER = (OPEN, ASSIGNED, RESOLVED)
PRIORITIES = range(1, 5)  # LOW, NORMAL, HIGH, URGENT
NORMAL = 2
FEEDBACK_CATEGORIES = range(1, 7)
RATINGS = range(1, 6)


@dataclass(slots=True)
class CaseRecord:
    tenant: str
    id: str
    customer_id: str
    subject: str
    description: str = ""
    status: int = OPEN
    priority: int = NORMAL
    assignee: str = ""
    resolution: str = ""
    note_count: int = 0
    opened_by: str = ""
    create_us: int = 0
    update_us: int = 0
    resolve_us: int = 0
    version: str = ""

    @property
    def name(self) -> str:
        return f"tenants/{self.tenant}/cases/{self.id}"

    @property
    def opened_key(self) -> str:
        """Clustering position of the case in cases_by_customer: creation order, then id."""
        return f"{self.create_us:017d}"


@dataclass(slots=True)
class NoteRecord:
    tenant: str
    case_id: str
    id: str
    text: str
    author: str
    create_us: int = 0

    @property
    def name(self) -> str:
        return f"tenants/{self.tenant}/cases/{self.case_id}/notes/{self.id}"


@dataclass(slots=True)
class FeedbackRecord:
    tenant: str
    id: str
    customer_id: str
    rating: int
    category: int
    text: str = ""
    case_id: str = ""
    create_us: int = 0

    @property
    def name(self) -> str:
        return f"tenants/{self.tenant}/customers/{self.customer_id}/feedback/{self.id}"

    @property
    def recency(self) -> str:
        """Clustering position in feedback_by_customer: inverted creation time, so a scan returns newest first."""
        return f"{10**17 - 1 - self.create_us:017d}"
