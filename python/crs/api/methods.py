"""Per-method policy: the scope a method needs and whether it mutates (and so is audited on failure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    scope: str  # "" for none: any authenticated key
    mutating: bool = False
    audit_failures: bool = False


_READ = Policy("read")
_WRITE = Policy("write", mutating=True, audit_failures=True)
_ANY_KEY = Policy("")  # any authenticated API key, whatever its scopes

POLICIES: dict[str, Policy] = {
    "/crs.v1.CustomerService/CreateCustomer": _WRITE,
    "/crs.v1.CustomerService/GetCustomer": _READ,
    "/crs.v1.CustomerService/UpdateCustomer": _WRITE,
    "/crs.v1.CustomerService/ListCustomers": _READ,
    "/crs.v1.CustomerService/CloseCustomer": _WRITE,
    "/crs.v1.CustomerService/SearchCustomers": _READ,
    "/crs.v1.AccountService/CreateAccount": _WRITE,
    "/crs.v1.AccountService/GetAccount": _READ,
    "/crs.v1.AccountService/UpdateAccount": _WRITE,
    "/crs.v1.AccountService/ListAccounts": _READ,
    "/crs.v1.AccountService/CloseAccount": _WRITE,
    "/crs.v1.RelationshipService/CreateRelationship": _WRITE,
    "/crs.v1.RelationshipService/GetRelationship": _READ,
    "/crs.v1.RelationshipService/DeleteRelationship": _WRITE,
    "/crs.v1.RelationshipService/ListRelationships": _READ,
    "/crs.v1.CardService/RegisterCard": _WRITE,
    "/crs.v1.CardService/GetCard": _READ,
    "/crs.v1.CardService/ListCards": _READ,
    "/crs.v1.CardService/UpdateCardState": _WRITE,
    "/crs.v1.CardService/LookupCard": _READ,
    "/crs.v1.TokenService/Tokenize": Policy("tokenize", mutating=True),
    "/crs.v1.TokenService/BatchTokenize": Policy("tokenize", mutating=True),
    "/crs.v1.TokenService/Detokenize": Policy("detokenize", audit_failures=True),
    "/crs.v1.AuditService/ListAuditEvents": _READ,
    "/crs.v1.IdentifierService/CreateIdentifier": _WRITE,
    "/crs.v1.IdentifierService/ListIdentifiers": _READ,
    "/crs.v1.IdentifierService/DeleteIdentifier": _WRITE,
    "/crs.v1.ClusterService/ResolveCluster": _READ,
    "/crs.v1.ClusterService/GetCluster": _READ,
    "/crs.v1.ClusterService/ListClusterMembers": _READ,
    "/crs.v1.ClusterService/ExplainCluster": _READ,
    "/crs.v1.ClusterService/ListClusterEvents": _READ,
    "/crs.v1.ClusterService/MergeCustomers": Policy("admin", mutating=True, audit_failures=True),
    "/crs.v1.ClusterService/SplitCustomer": Policy("admin", mutating=True, audit_failures=True),
    "/crs.v1.LookupService/GetAuthorizationContext": _READ,
    "/crs.v1.ChangeFeedService/Subscribe": _READ,
    "/crs.v1.ChangeFeedService/CommitCursor": Policy("read", mutating=True),
    "/crs.v1.ChangeFeedService/GetConsumer": _READ,
    "/crs.v1.ChangeFeedService/ExportSnapshot": _READ,
    "/crs.v1.ProfileService/GetProfile": _READ,
    "/crs.v1.ProfileService/UpdateProfile": _WRITE,
    "/crs.v1.ProfileService/GetEffectiveProfile": _READ,
    "/crs.v1.SupportService/CreateCase": _WRITE,
    "/crs.v1.SupportService/GetCase": _READ,
    "/crs.v1.SupportService/ListCases": _READ,
    "/crs.v1.SupportService/AssignCase": _WRITE,
    "/crs.v1.SupportService/ResolveCase": _WRITE,
    "/crs.v1.SupportService/CreateCaseNote": _WRITE,
    "/crs.v1.SupportService/ListCaseNotes": _READ,
    "/crs.v1.SupportService/CreateFeedback": _WRITE,
    "/crs.v1.SupportService/ListFeedback": _READ,
    "/crs.v1.Customer360Service/GetCustomer360": _READ,
    "/crs.v1.NotificationService/ListNotifications": _READ,
    "/crs.v1.NotificationService/GetNotification": _READ,
    "/crs.v1.NotificationService/ListDeadLetters": Policy("admin"),
    "/crs.v1.NotificationService/ReplayDeadLetter": Policy("admin", mutating=True, audit_failures=True),
    "/crs.v1.NotificationService/GetContactQuality": _READ,
    "/crs.v1.DueService/CreateDue": _WRITE,
    "/crs.v1.DueService/GetDue": _READ,
    "/crs.v1.DueService/ListDues": _READ,
    "/crs.v1.DueService/MarkDuePaid": _WRITE,
    # Reads; reaching the alert score stores an audited risk alert as a side effect.
    "/crs.v1.RiskService/GetRiskSignals": _READ,
    "/crs.v1.RiskService/ListRiskAlerts": _READ,
    "/crs.v1.DecisionService/GetCheckoutAdvice": _READ,
    "/crs.v1.TransactionService/BatchRecordTransactions": _WRITE,
    "/crs.v1.TransactionService/GetTransaction": _READ,
    "/crs.v1.TransactionService/ListTransactions": _READ,
    "/crs.v1.SegmentService/GetSegments": _READ,
    "/crs.v1.SegmentService/ListSegmentMembers": _READ,
    "/crs.v1.SegmentService/ListSegmentChanges": _READ,
    "/crs.v1.SegmentService/RefreshSegments": Policy("admin", mutating=True, audit_failures=True),
    "/crs.v1.InsightService/GetCustomerInsights": _READ,
    "/crs.v1.DiagnosticsService/Ping": _ANY_KEY,
}

# Served without an API key.
PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
