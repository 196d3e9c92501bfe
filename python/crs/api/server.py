"""Server assembly: ``build_server(config)`` returns a started-ready server; ``serve`` runs it to SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import logging
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from crs._core import KeyRing
from crs.api import logs, metrics, reflection
from crs.api.auth import ApiKeys, add_key
from crs.api.cluster_servicers import ClusterServicer, IdentifierServicer, LookupServicer
from crs.api.diagnostics_servicer import DiagnosticsServicer
from crs.api.feed_servicer import ChangeFeedServicer
from crs.api.interceptor import CrsInterceptor
from crs.api.notification_servicers import DueServicer, NotificationServicer
from crs.api.observed_store import ObservedStore
from crs.api.profile_servicers import Customer360Servicer, ProfileServicer, SupportServicer
from crs.api.risk_servicers import DecisionServicer, RiskServicer
from crs.api.servicers import (
    AccountServicer,
    AuditServicer,
    CardServicer,
    CustomerServicer,
    RelationshipServicer,
    TokenServicer,
)
from crs.api.txn_servicers import InsightServicer, SegmentServicer, TransactionServicer
from crs.domain.app import Domain
from crs.domain.changefeed import outbox
from crs.domain.clusters.rules import TenantRules
from crs.domain.notifications.feed_follower import follow_once
from crs.domain.notifications.rules import NotificationRules
from crs.domain.notifications.runner import DeliveryConfig, FollowFeed, run_forever
from crs.domain.risk.config import TenantRiskConfig
from crs.domain.transactions.segment_rules import TenantSegmentRules
from crs.storage.base import Store
from crs.storage.cql_security import CqlSecurity
from crs.v1 import (
    account_pb2,
    account_pb2_grpc,
    audit_pb2,
    audit_pb2_grpc,
    billing_pb2,
    billing_pb2_grpc,
    card_pb2,
    card_pb2_grpc,
    changefeed_pb2,
    changefeed_pb2_grpc,
    cluster_pb2,
    cluster_pb2_grpc,
    customer360_pb2,
    customer360_pb2_grpc,
    customer_pb2,
    customer_pb2_grpc,
    decision_pb2,
    decision_pb2_grpc,
    diagnostics_pb2,
    diagnostics_pb2_grpc,
    insight_pb2,
    insight_pb2_grpc,
    lookup_pb2,
    lookup_pb2_grpc,
    notification_pb2,
    notification_pb2_grpc,
    profile_pb2,
    profile_pb2_grpc,
    relationship_pb2,
    relationship_pb2_grpc,
    risk_pb2,
    risk_pb2_grpc,
    segment_pb2,
    segment_pb2_grpc,
    support_pb2,
    support_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
    transaction_pb2,
    transaction_pb2_grpc,
)

SERVICE_NAMES = tuple(
    m.DESCRIPTOR.services_by_name[s].full_name
    for m, s in (
        (customer_pb2, "CustomerService"),
        (account_pb2, "AccountService"),
        (relationship_pb2, "RelationshipService"),
        (card_pb2, "CardService"),
        (token_pb2, "TokenService"),
        (audit_pb2, "AuditService"),
        (cluster_pb2, "IdentifierService"),
        (cluster_pb2, "ClusterService"),
        (lookup_pb2, "LookupService"),
        (changefeed_pb2, "ChangeFeedService"),
        (profile_pb2, "ProfileService"),
        (support_pb2, "SupportService"),
        (customer360_pb2, "Customer360Service"),
        (notification_pb2, "NotificationService"),
        (billing_pb2, "DueService"),
        (risk_pb2, "RiskService"),
        (decision_pb2, "DecisionService"),
        (transaction_pb2, "TransactionService"),
        (segment_pb2, "SegmentService"),
        (insight_pb2, "InsightService"),
        (diagnostics_pb2, "DiagnosticsService"),
    )
)
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# grpc.health.v1 service name for liveness probes: SERVING while the process's event loop answers, whatever the
# store's health (a lost Cassandra quorum must make pods unready, not restart them all); NOT_SERVING on drain.
LIVENESS_SERVICE = "liveness"


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 50051
    data_dir: Path = field(default_factory=lambda: Path("var"))
    store: str = "embedded"
    keys_file: Path | None = None
    api_keys_file: Path | None = None
    grace_seconds: float = 10.0
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    # Per-tenant cluster link rules (JSON, see docs/clusters.md); defaults when unset.
    cluster_rules_file: Path | None = None
    # Per-tenant notification rules (JSON, docs/notifications.md); defaults when unset.
    notification_rules_file: Path | None = None
    # Delivery adapters, tenants and interval (JSON); unset: no notices are scheduled or sent by this process.
    notification_delivery_file: Path | None = None
    # Per-tenant risk thresholds, SCA settings and EUR rates (JSON, see docs/risk.md); defaults when unset.
    risk_rules_file: Path | None = None
    # Per-tenant segment rules (JSON, see docs/segments.md); defaults when unset.
    segment_rules_file: Path | None = None
    allow_insecure: bool = False
    port_file: Path | None = None
    log_level: str = "INFO"
    contact_points: tuple[str, ...] = ("127.0.0.1",)
    cassandra_port: int = 9042
    keyspace: str = "crs"
    local_dc: str = "dc1"
    cassandra_reads: str = "native"  # "native" (crs._core.CqlReader) or "driver" (the Python driver)
    cassandra_security: CqlSecurity = field(default_factory=CqlSecurity)  # credentials and TLS of both CQL clients
    health_interval_seconds: float = 1.0
    # Serving and tuning (see docs/operations.md "Serving at payment volumes").
    max_concurrent_rpcs: int = 0  # 0: no limit; over it CRS calls get RESOURCE_EXHAUSTED and count as shed
    metrics_port: int = metrics.DEFAULT_PORT  # 0: no metrics endpoint
    keepalive_time_ms: int = 30_000
    keepalive_timeout_ms: int = 10_000
    min_ping_interval_ms: int = 10_000  # clients pinging more often than this get GOAWAY(too_many_pings)
    max_message_bytes: int = MAX_MESSAGE_BYTES
    reuse_port: bool = False  # SO_REUSEPORT: set for the workers of `crs serve --workers N`
    worker_of: int = 0  # pid of the supervising `crs serve --workers N` (0: a standalone server)
    # A second, plaintext port that serves grpc.health.v1 only (0: none): Kubernetes' native gRPC probes
    # cannot speak TLS, so with --tls-cert the probes use this port.
    health_port: int = 0
    # SIGTERM: seconds between health NOT_SERVING and closing the listener. Clients that watch health
    # (deploy/client/service_config.json healthCheckConfig) stop sending new calls here first, so none race
    # the shutdown (such a call would be CANCELLED, which no client retries).
    drain_delay_seconds: float = 0.0
    # The change feed (docs/back-office.md): how long events are kept, and the settle horizon.
    feed_retention_seconds: int = outbox.SETTINGS.retention_seconds
    feed_settle_seconds: float = outbox.DEFAULT_SETTLE_SECONDS


@dataclass
class Running:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    domain: Domain
    health_server: grpc.aio.Server | None = None  # plaintext grpc.health.v1 only (--health-port)
    feed: ChangeFeedServicer | None = None
    delivery: DeliveryConfig | None = None  # notification scheduler + dispatcher loop (--notification-delivery)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_keyring(config: ServerConfig) -> KeyRing:
    if config.keys_file is not None:
        return KeyRing.from_file(str(config.keys_file))
    if "CRS_KEYS" in os.environ:
        return KeyRing.from_env("CRS_KEYS")
    default = config.data_dir / "keys.json"
    if not default.exists():
        config.data_dir.mkdir(parents=True, exist_ok=True)
        KeyRing.generate(str(default))
        logs.get().warning("generated_card_data_keys", path=str(default), note="back this file up; data needs it")
    return KeyRing.from_file(str(default))


def load_api_keys(config: ServerConfig) -> ApiKeys:
    if config.api_keys_file is not None or "CRS_API_KEYS" in os.environ:
        return ApiKeys.load(config.api_keys_file)
    default = config.data_dir / "api-keys.json"
    if not default.exists():
        secret = add_key(default, "bootstrap-admin", "default", ["admin"])
        secret_file = config.data_dir / "bootstrap-api-key"
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret + "\n")
        logs.get().warning(
            "bootstrap_api_key_created", tenant="default", key_file=str(secret_file), hashes=str(default)
        )
    return ApiKeys.load(default)


def open_store(config: ServerConfig) -> Store:
    if config.store == "embedded":
        from crs.storage.embedded import EmbeddedStore

        return EmbeddedStore(config.data_dir / "crs.db")
    if config.store == "cassandra":
        from crs.storage.cassandra import CassandraStore

        return CassandraStore(
            config.contact_points,
            config.keyspace,
            config.local_dc,
            config.cassandra_port,
            reads=config.cassandra_reads,
            security=config.cassandra_security,
        )
    raise ValueError(f"unknown store {config.store!r}")


def _credentials(config: ServerConfig) -> grpc.ServerCredentials | None:
    if config.tls_cert is None and config.tls_key is None:
        return None
    if config.tls_cert is None or config.tls_key is None:
        raise ValueError("--tls-cert and --tls-key go together")
    ca = config.tls_client_ca.read_bytes() if config.tls_client_ca else None
    return grpc.ssl_server_credentials(
        [(config.tls_key.read_bytes(), config.tls_cert.read_bytes())],
        root_certificates=ca,
        require_client_auth=ca is not None,
    )


async def build_server(config: ServerConfig, store: Store | None = None) -> Running:
    creds = _credentials(config)
    if creds is None and not _is_loopback(config.host) and not config.allow_insecure:
        raise ValueError("plaintext gRPC is only served on loopback; pass --tls-cert/--tls-key or --allow-insecure")
    keyring = load_keyring(config)
    api_keys = load_api_keys(config)
    outbox.configure(config.feed_retention_seconds, config.feed_settle_seconds)
    store = ObservedStore(store or open_store(config))
    metrics.set_key_ids(keyring.key_ids(), keyring.active_key_id)
    rules = TenantRules.from_file(config.cluster_rules_file) if config.cluster_rules_file else TenantRules()
    notification_rules = (
        NotificationRules.from_file(config.notification_rules_file) if config.notification_rules_file else None
    )
    delivery = (
        DeliveryConfig.from_file(config.notification_delivery_file) if config.notification_delivery_file else None
    )
    risk_config = TenantRiskConfig.from_file(config.risk_rules_file) if config.risk_rules_file else None
    segment_rules = TenantSegmentRules.from_file(config.segment_rules_file) if config.segment_rules_file else None
    domain = Domain(store, keyring, rules, notification_rules, risk_config, segment_rules)
    if delivery is not None:
        domain.notifications.dispatcher.use_senders(delivery.senders)
    domain.clusters.engine.on_index_size = metrics.set_cluster_index_size
    server = grpc.aio.server(
        interceptors=[CrsInterceptor(api_keys, store, keyring, config.max_concurrent_rpcs)],
        options=server_options(config),
    )
    customer_pb2_grpc.add_CustomerServiceServicer_to_server(CustomerServicer(domain), server)
    account_pb2_grpc.add_AccountServiceServicer_to_server(AccountServicer(domain), server)
    relationship_pb2_grpc.add_RelationshipServiceServicer_to_server(RelationshipServicer(domain), server)
    card_pb2_grpc.add_CardServiceServicer_to_server(CardServicer(domain), server)
    token_pb2_grpc.add_TokenServiceServicer_to_server(TokenServicer(domain), server)
    audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(domain), server)
    cluster_pb2_grpc.add_IdentifierServiceServicer_to_server(IdentifierServicer(domain), server)
    cluster_pb2_grpc.add_ClusterServiceServicer_to_server(ClusterServicer(domain), server)
    lookup_pb2_grpc.add_LookupServiceServicer_to_server(LookupServicer(domain), server)
    feed = ChangeFeedServicer(domain)
    changefeed_pb2_grpc.add_ChangeFeedServiceServicer_to_server(feed, server)
    profile_pb2_grpc.add_ProfileServiceServicer_to_server(ProfileServicer(domain), server)
    support_pb2_grpc.add_SupportServiceServicer_to_server(SupportServicer(domain), server)
    customer360_pb2_grpc.add_Customer360ServiceServicer_to_server(Customer360Servicer(domain), server)
    notification_pb2_grpc.add_NotificationServiceServicer_to_server(NotificationServicer(domain.notifications), server)
    billing_pb2_grpc.add_DueServiceServicer_to_server(DueServicer(domain.notifications), server)
    risk_pb2_grpc.add_RiskServiceServicer_to_server(RiskServicer(domain), server)
    decision_pb2_grpc.add_DecisionServiceServicer_to_server(DecisionServicer(domain), server)
    transaction_pb2_grpc.add_TransactionServiceServicer_to_server(TransactionServicer(domain), server)
    segment_pb2_grpc.add_SegmentServiceServicer_to_server(SegmentServicer(domain), server)
    insight_pb2_grpc.add_InsightServiceServicer_to_server(InsightServicer(domain), server)
    diagnostics_pb2_grpc.add_DiagnosticsServiceServicer_to_server(DiagnosticsServicer(), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable((*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name), server)
    address = f"{config.host}:{config.port}"
    port = server.add_secure_port(address, creds) if creds else server.add_insecure_port(address)
    health_server = None
    if config.health_port:
        health_server = grpc.aio.server(options=server_options(config))
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, health_server)
        health_server.add_insecure_port(f"{config.host}:{config.health_port}")
    return Running(server, port, health_servicer, domain, health_server, delivery=delivery, feed=feed)


_GC_GEN0_THRESHOLD = 10_000  # CPython's default is 700 net allocations


def server_options(config: ServerConfig) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.keepalive_time_ms", config.keepalive_time_ms),
        ("grpc.keepalive_timeout_ms", config.keepalive_timeout_ms),
        ("grpc.http2.min_ping_interval_without_data_ms", config.min_ping_interval_ms),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", config.min_ping_interval_ms),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_ping_strikes", 2),
        # grpc turns SO_REUSEPORT on by default on Linux: a standalone server turns it off so that a second
        # server started on the same port by mistake fails to bind instead of silently sharing the traffic.
        ("grpc.so_reuseport", 1 if config.reuse_port else 0),
    ]


def _tune_gc() -> None:
    """Per-call garbage is short-lived and almost all freed by reference counting: move the long-lived objects
    built at start-up out of the collector's way and let the young generation grow before a collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(_GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])


def _die_with_supervisor(supervisor: int) -> None:
    """A worker must not outlive its supervisor (e.g. one killed with SIGKILL): SIGTERM, i.e. drain, when it dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the parent watch below still notices
    if os.getppid() != supervisor:
        os.kill(os.getpid(), signal.SIGTERM)


async def _watch_parent(supervisor: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if os.getppid() != supervisor:
            logs.get().warning("supervisor_gone", supervisor=supervisor)
            stop.set()
            return
        await asyncio.sleep(1.0)


async def _set_health(running: Running, serving: bool) -> None:
    status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    for name in ("", *SERVICE_NAMES):
        await running.health.set(name, status)


async def _watch_store(running: Running, interval: float) -> None:
    """Health follows the store: NOT_SERVING while it cannot serve (e.g. no Cassandra quorum)."""
    log = logs.get()
    serving: bool | None = None
    while True:
        ok = await running.domain.store.healthy()
        if ok != serving:
            await _set_health(running, ok)
            if serving is not None:
                log.warning("store_health_changed", serving=ok)
            serving = ok
        await asyncio.sleep(interval)


def _feed_follower(domain: Domain) -> FollowFeed:
    async def follow(tenant: str) -> int:
        return await follow_once(domain.store, domain.consumers, domain.notifications, tenant)

    return follow


async def serve(config: ServerConfig) -> None:
    logs.configure(config.log_level)
    log = logs.get()
    stop = asyncio.Event()
    if config.worker_of:
        _die_with_supervisor(config.worker_of)
    running = await build_server(config)
    _tune_gc()
    await running.server.start()
    if running.health_server is not None:
        await running.health_server.start()
    await running.health.set(LIVENESS_SERVICE, health_pb2.HealthCheckResponse.SERVING)
    watcher = asyncio.create_task(_watch_store(running, config.health_interval_seconds))
    parent_watch = asyncio.create_task(_watch_parent(config.worker_of, stop)) if config.worker_of else None
    notifier = (
        asyncio.create_task(run_forever(running.domain.notifications, running.delivery, _feed_follower(running.domain)))
        if running.delivery
        else None
    )
    if config.metrics_port and not config.worker_of:
        try:
            bound = metrics.start_server(config.metrics_port, config.host)
            log.info("metrics_serving", host=config.host, port=bound, path="/metrics")
        except OSError as e:  # metrics are not worth an outage: serve without them, loudly
            log.error("metrics_port_unavailable", port=config.metrics_port, error=str(e))
    if config.port_file is not None:
        tmp = config.port_file.with_suffix(".tmp")
        tmp.write_text(str(running.port))
        os.replace(tmp, config.port_file)
    cassandra = {"cassandra": config.cassandra_security.describe()} if config.store == "cassandra" else {}
    log.info("serving", host=config.host, port=running.port, store=config.store, pid=os.getpid(), **cassandra)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("draining", grace_seconds=config.grace_seconds, drain_delay_seconds=config.drain_delay_seconds)
    watcher.cancel()
    if notifier is not None:
        notifier.cancel()
    if parent_watch is not None:
        parent_watch.cancel()
    await running.health.enter_graceful_shutdown()
    if running.feed is not None:
        running.feed.draining.set()  # feed streams end (OK) at their next poll; consumers resume elsewhere
    if config.drain_delay_seconds > 0:
        await asyncio.sleep(config.drain_delay_seconds)
    await running.server.stop(config.grace_seconds)
    if running.health_server is not None:
        await running.health_server.stop(0)
    log.info("rpcs_stopped")
    try:
        # Calls cut off by the grace period may still have a write in flight: give it a moment, no more.
        await asyncio.wait_for(running.domain.store.close(), timeout=1.0)
    except TimeoutError:
        # Nothing unacknowledged needs keeping (SQLite rolls back an open transaction; Cassandra writes
        # that were not acknowledged are the client's to retry with its request_id). Leave now.
        log.warning("store_close_timed_out")
        logging.shutdown()
        os._exit(0)
    log.info("stopped")
