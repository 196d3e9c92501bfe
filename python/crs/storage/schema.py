"""Every table CRS keeps, one per query (Cassandra's query-first modeling).

The embedded store and the Cassandra store create exactly these tables; ``docs/data-model.md``
lists the same queries with their consistency levels. ``bucket`` columns spread one tenant's
listing over ``LIST_BUCKETS`` partitions; audit tables are bucketed by UTC day so no partition
grows without bound.
"""

from __future__ import annotations

from crs.storage.base import Table

LIST_BUCKETS = 16
IDEMPOTENCY_TTL_SECONDS = 48 * 3600

customers_by_id = Table("customers_by_id", ("tenant", "customer_id"), (), "Get a customer by id (also CAS on its etag)")
customers_by_tenant = Table("customers_by_tenant", ("tenant", "bucket"), ("customer_id",), "List a tenant's customers")
customers_by_blind_index = Table(
    "customers_by_blind_index",
    ("tenant", "kind", "blind_index"),
    ("customer_id",),
    "Search customers by exact e-mail, phone or national id (keyed HMAC, never the value)",
)
accounts_by_id = Table("accounts_by_id", ("tenant", "account_id"), (), "Get an account by id")
accounts_by_tenant = Table("accounts_by_tenant", ("tenant", "bucket"), ("account_id",), "List a tenant's accounts")
accounts_by_customer = Table(
    "accounts_by_customer",
    ("tenant", "customer_id"),
    ("account_id", "relationship_id"),
    "List the accounts a customer has any relationship to",
)
relationships_by_id = Table("relationships_by_id", ("tenant", "relationship_id"), (), "Get a relationship by id")
relationships_by_customer = Table(
    "relationships_by_customer",
    ("tenant", "customer_id"),
    ("relationship_id",),
    "List a customer's relationships (both directions of customer links)",
)
relationships_by_account = Table(
    "relationships_by_account",
    ("tenant", "account_id"),
    ("relationship_id",),
    "List an account's relationships (owners for LookupCard)",
)
relationships_by_edge = Table(
    "relationships_by_edge",
    ("tenant", "edge"),
    (),
    "Uniqueness of one (customer, target, role) relationship",
)
cards_by_id = Table("cards_by_id", ("tenant", "card_id"), (), "Get a card by id (also CAS on its etag)")
cards_by_fingerprint = Table(
    "cards_by_fingerprint",
    ("tenant", "fingerprint"),
    (),
    "One PAN -> one card per tenant; LookupCard by PAN; SearchCustomers by card fingerprint",
)
cards_by_token = Table("cards_by_token", ("tenant", "token"), (), "LookupCard by token")
cards_by_account = Table("cards_by_account", ("tenant", "account_id"), ("card_id",), "List an account's cards")
cards_by_customer = Table("cards_by_customer", ("tenant", "customer_id"), ("card_id",), "List a customer's cards")
vault_by_fingerprint = Table(
    "vault_by_fingerprint",
    ("tenant", "fingerprint"),
    (),
    "Tokenize: the one token of a PAN in a tenant (insert-if-not-exists)",
)
vault_by_token = Table(
    "vault_by_token",
    ("tenant", "token"),
    (),
    "Detokenize: token -> encrypted PAN (AES-256-GCM, key id); token uniqueness",
)
idempotency_by_request = Table(
    "idempotency_by_request",
    ("tenant", "request_id"),
    (),
    "AIP-155 request_id replay: the first response of a mutating call",
    ttl_seconds=IDEMPOTENCY_TTL_SECONDS,
)
audit_by_resource = Table("audit_by_resource", ("tenant", "resource"), ("event_id",), "Audit events of one resource")
audit_by_actor = Table(
    "audit_by_actor", ("tenant", "actor", "day"), ("event_id",), "Audit events of one API key, per day"
)
audit_by_day = Table("audit_by_day", ("tenant", "day"), ("event_id",), "Audit events of a tenant, per day")

ALL_TABLES: tuple[Table, ...] = (
    customers_by_id,
    customers_by_tenant,
    customers_by_blind_index,
    accounts_by_id,
    accounts_by_tenant,
    accounts_by_customer,
    relationships_by_id,
    relationships_by_customer,
    relationships_by_account,
    relationships_by_edge,
    cards_by_id,
    cards_by_fingerprint,
    cards_by_token,
    cards_by_account,
    cards_by_customer,
    vault_by_fingerprint,
    vault_by_token,
    idempotency_by_request,
    audit_by_resource,
    audit_by_actor,
    audit_by_day,
)
