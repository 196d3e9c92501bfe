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

# Customer clusters (docs/clusters.md). The identity graph is bipartite customer <-> identifier (the two
# identifier tables) plus customer <-> customer links (probabilistic matches, analyst must-links).
identifiers_by_customer = Table(
    "identifiers_by_customer",
    ("tenant", "customer_id"),
    ("identifier_id",),
    "A customer's identifiers (keyed fingerprints and masked forms, never values)",
)
customers_by_identifier = Table(
    "customers_by_identifier",
    ("tenant", "kind", "fingerprint"),
    ("customer_id",),
    "Customers carrying one identifier: linking, sharing thresholds, ResolveCluster by identifier",
)
match_by_customer = Table(
    "match_by_customer", ("tenant", "customer_id"), (), "A customer's keyed match encodings and blocking keys"
)
customers_by_match_block = Table(
    "customers_by_match_block",
    ("tenant", "block"),
    ("customer_id",),
    "Probabilistic matching candidates: customers sharing one keyed blocking key",
)
links_by_customer = Table(
    "links_by_customer",
    ("tenant", "customer_id"),
    ("other_id",),
    "A customer's probabilistic and analyst links (both directions stored)",
)
overrides_by_customer = Table(
    "overrides_by_customer",
    ("tenant", "customer_id"),
    ("other_id",),
    "Analyst must-link / cannot-link overrides of a customer (both directions stored)",
)
cluster_by_customer = Table("cluster_by_customer", ("tenant", "customer_id"), (), "The current cluster of a customer")
clusters_by_id = Table("clusters_by_id", ("tenant", "cluster_id"), (), "Get a cluster (CAS on its version)")
customers_by_cluster = Table(
    "customers_by_cluster", ("tenant", "cluster_id"), ("customer_id",), "List a cluster's members"
)
cluster_events_by_cluster = Table(
    "cluster_events_by_cluster", ("tenant", "cluster_id"), ("event_id",), "Events of one cluster"
)
cluster_events_by_day = Table(
    "cluster_events_by_day", ("tenant", "day"), ("event_id",), "Cluster events of a tenant, per UTC day"
)
match_model_by_tenant = Table(
    "match_model_by_tenant", ("tenant",), (), "The tenant's probabilistic match model (EM-estimated weights)"
)

# Profiles, support cases and feedback (docs/profiles.md).
profiles_by_customer = Table(
    "profiles_by_customer",
    ("tenant", "customer_id"),
    (),
    "A customer's own payment and contact profile (CAS on its etag)",
)
profiles_by_cluster = Table(
    "profiles_by_cluster",
    ("tenant", "cluster_id"),
    (),
    "A cluster's profile, inherited by its members (CAS on its etag)",
)
cases_by_id = Table(
    "cases_by_id", ("tenant", "case_id"), (), "Get a support case (insert-if-not-exists, CAS on its etag)"
)
cases_by_customer = Table(
    "cases_by_customer",
    ("tenant", "customer_id", "status"),
    ("opened", "case_id"),
    "A customer's support cases of one status, oldest first",
)
case_notes_by_case = Table(
    "case_notes_by_case", ("tenant", "case_id"), ("written", "note_id"), "A support case's notes, oldest first"
)
feedback_by_id = Table("feedback_by_id", ("tenant", "feedback_id"), (), "One feedback entry (insert-if-not-exists)")
feedback_by_customer = Table(
    "feedback_by_customer",
    ("tenant", "customer_id"),
    ("recency", "feedback_id"),
    "A customer's feedback, newest first (recency = inverted creation time)",
)
# Payment notifications and dues (docs/notifications.md).
dues_by_account = Table(
    "dues_by_account",
    ("tenant", "account_id"),
    ("due_id",),
    "Get a payment due (CAS on its version); list an account's dues",
)
dues_by_date = Table(
    "dues_by_date",
    ("tenant", "due_date"),
    ("account_id", "due_id"),
    "Late-payment workflow: the dues falling due on one date (one partition per date and step offset)",
)
cards_by_expiry = Table(
    "cards_by_expiry",
    ("tenant", "expiry"),
    ("card_id",),
    "Card-expiring notices: a tenant's cards expiring in one month (YYYYMM)",
)
notices_by_id = Table(
    "notices_by_id",
    ("tenant", "notice_id"),
    (),
    "Get a notice; exactly one notice per (event, channel): insert-if-not-exists on the derived id",
)
notices_by_customer = Table(
    "notices_by_customer",
    ("tenant", "customer_id"),
    ("rank", "notice_id"),
    "A customer's notices and workflow steps, newest first (rank = inverted time)",
)
notices_by_send_day = Table(
    "notices_by_send_day",
    ("tenant", "day"),
    ("send_key", "notice_id"),
    "Dispatcher: pending notices of a tenant by UTC day and send time",
)
dead_notices_by_tenant = Table(
    "dead_notices_by_tenant",
    ("tenant",),
    ("notice_id",),
    "Operator dead-letter list: notices whose delivery gave up (removed on replay)",
)
contact_quality_by_customer = Table(
    "contact_quality_by_customer",
    ("tenant", "customer_id"),
    (),
    "Bounces and delivery failures per contact address of a customer (CAS on its version)",
)
# Risk signals and checkout decisions (docs/risk.md).
velocity_by_cluster = Table(
    "velocity_by_cluster",
    ("tenant", "cluster_id"),
    (),
    "A cluster's sliding-window velocity (bounded buckets, CAS on its version); the lookup's risk summary",
)
sca_state_by_customer = Table(
    "sca_state_by_customer",
    ("tenant", "customer_id"),
    (),
    "A payer's SCA state: last SCA, low-value count and amount since, recurring series (CAS on its version)",
)
risk_alerts_by_id = Table(
    "risk_alerts_by_id", ("tenant", "alert_id"), (), "Get a risk alert; one alert per subject, codes and day"
)
risk_alerts_by_cluster = Table(
    "risk_alerts_by_cluster", ("tenant", "cluster_id"), ("alert_id",), "List the risk alerts of one cluster"
)
risk_alerts_by_day = Table(
    "risk_alerts_by_day", ("tenant", "day"), ("alert_id",), "List a tenant's risk alerts, per UTC day"
)
# Transactions, aggregates and segments (docs/transactions.md, docs/segments.md). Histories are partitioned by
# UTC month ("YYYYMM"); list clustering keys sort newest first (``rtime`` = 10^16 - occurred microseconds).
transactions_by_id = Table(
    "transactions_by_id",
    ("tenant", "transaction_id"),
    (),
    "Get a transaction by the switch's id; one id per tenant (insert-if-not-exists)",
)
transactions_by_customer = Table(
    "transactions_by_customer",
    ("tenant", "customer_id", "month"),
    ("rtime", "transaction_id"),
    "A customer's transactions in one UTC month, newest first",
)
transactions_by_cluster = Table(
    "transactions_by_cluster",
    ("tenant", "cluster_id", "month"),
    ("rtime", "transaction_id"),
    "Transactions of a cluster (as resolved at record time) in one UTC month, newest first",
)
transactions_by_account = Table(
    "transactions_by_account",
    ("tenant", "account_id", "month"),
    ("rtime", "transaction_id"),
    "An account's transactions in one UTC month, newest first",
)
transactions_by_card = Table(
    "transactions_by_card",
    ("tenant", "card_id", "month"),
    ("rtime", "transaction_id"),
    "A card's transactions in one UTC month, newest first",
)
aggregates_by_customer = Table(
    "aggregates_by_customer",
    ("tenant", "customer_id", "month"),
    (),
    "A customer's running aggregates of one UTC month (by day, currency, MCC, channel, merchant, hour); CAS",
)
segments_by_customer = Table(
    "segments_by_customer", ("tenant", "customer_id"), (), "A customer's current value tier and lifecycle; CAS"
)
customers_by_segment = Table(
    "customers_by_segment",
    ("tenant", "segment", "bucket"),
    ("customer_id",),
    "Members of one tier or lifecycle stage (segment = tier:HIGH, lifecycle:DORMANT, ...)",
)
segment_changes_by_customer = Table(
    "segment_changes_by_customer", ("tenant", "customer_id"), ("change_id",), "A customer's segment history"
)
segment_changes_by_day = Table(
    "segment_changes_by_day", ("tenant", "day"), ("change_id",), "Segment-change events of a tenant, per UTC day"
)
segments_due_by_day = Table(
    "segments_due_by_day",
    ("tenant", "day"),
    ("customer_id",),
    "Customers whose lifecycle changes on a UTC day without a transaction (crs segments refresh)",
)

# The back-office change feed (docs/back-office.md): the outbox, written in the same apply as the change.
# Partitions are one (tenant, shard, UTC hour); one resource's events always go to one shard; rows expire after the
# retention (per write, `crs serve --feed-retention`; this is the default).
FEED_SHARDS = 8
FEED_RETENTION_SECONDS = 7 * 24 * 3600
feed_by_shard = Table(
    "feed_by_shard",
    ("tenant", "shard", "hour"),
    ("position",),
    "Change events of one feed shard in one UTC hour, in commit-time order (the outbox)",
    ttl_seconds=FEED_RETENTION_SECONDS,
)
feed_consumers_by_name = Table(
    "feed_consumers_by_name", ("tenant", "consumer"), (), "A named feed consumer's committed cursor"
)

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
    identifiers_by_customer,
    customers_by_identifier,
    match_by_customer,
    customers_by_match_block,
    links_by_customer,
    overrides_by_customer,
    cluster_by_customer,
    clusters_by_id,
    customers_by_cluster,
    cluster_events_by_cluster,
    cluster_events_by_day,
    match_model_by_tenant,
    profiles_by_customer,
    profiles_by_cluster,
    cases_by_id,
    cases_by_customer,
    case_notes_by_case,
    feedback_by_id,
    feedback_by_customer,
    dues_by_account,
    dues_by_date,
    cards_by_expiry,
    notices_by_id,
    notices_by_customer,
    notices_by_send_day,
    dead_notices_by_tenant,
    contact_quality_by_customer,
    velocity_by_cluster,
    sca_state_by_customer,
    risk_alerts_by_id,
    risk_alerts_by_cluster,
    risk_alerts_by_day,
    transactions_by_id,
    transactions_by_customer,
    transactions_by_cluster,
    transactions_by_account,
    transactions_by_card,
    aggregates_by_customer,
    segments_by_customer,
    customers_by_segment,
    segment_changes_by_customer,
    segment_changes_by_day,
    segments_due_by_day,
    feed_by_shard,
    feed_consumers_by_name,
)
