"""``crs``: run the server, manage keys, and a small back-office client.

crs serve [--port 50051] [--data-dir var]          run the gRPC server (embedded store by default)
crs keys generate PATH                             new card-data key file (0600)
crs apikey add --file F --tenant T --scopes a,b    new API key: prints the secret once, stores its hash
crs seed --customers N [--data-dir var]            synthetic customers, accounts, cards (load tests)
crs customers get|list|search ...                  back-office client (CRS_API_KEY, --target)
crs cards lookup --token T | --pan-stdin
crs audit tail [--resource R] [--minutes 60]
crs clusters rebuild|train --tenant T              offline cluster maintenance against the store
crs segments refresh --tenant T [--as-of ISO]      time-driven segment moves (DORMANT, CHURNED) against the store
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crs.storage.cql_security import CqlSecurity


def _env_path(variable: str) -> Path | None:
    """The default of a path option: the environment variable's value, or unset."""
    value = os.environ.get(variable)
    return Path(value) if value else None


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=os.environ.get("CRS_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("CRS_PORT", "50051")))
    p.add_argument("--port-file", type=Path, help="write the bound port here once serving (for --port 0)")
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CRS_DATA_DIR", "var")))
    p.add_argument("--store", choices=["embedded", "cassandra"], default=os.environ.get("CRS_STORE", "embedded"))
    _cassandra_args(p)
    # Every flag below also reads an environment variable (CRS_KEYS_FILE, ...) so that Kubernetes overlays can
    # patch the container's env by name (deploy/).
    p.add_argument(
        "--keys-file",
        type=Path,
        default=_env_path("CRS_KEYS_FILE"),
        help="card-data key file ($CRS_KEYS_FILE; default: $CRS_KEYS or DATA_DIR/keys.json)",
    )
    p.add_argument(
        "--api-keys-file",
        type=Path,
        default=_env_path("CRS_API_KEYS_FILE"),
        help="API key hashes ($CRS_API_KEYS_FILE; default: $CRS_API_KEYS or DATA_DIR/api-keys.json)",
    )
    p.add_argument(
        "--grace",
        type=float,
        default=float(os.environ.get("CRS_GRACE", "10")),
        help="seconds to drain in-flight RPCs on SIGTERM ($CRS_GRACE)",
    )
    p.add_argument(
        "--drain-delay",
        type=float,
        default=float(os.environ.get("CRS_DRAIN_DELAY", "0")),
        help="on SIGTERM, seconds NOT_SERVING before the listener closes, so health-watching clients move away "
        "($CRS_DRAIN_DELAY)",
    )
    p.add_argument("--tls-cert", type=Path, default=_env_path("CRS_TLS_CERT"))
    p.add_argument("--tls-key", type=Path, default=_env_path("CRS_TLS_KEY"))
    p.add_argument(
        "--tls-client-ca",
        type=Path,
        default=_env_path("CRS_TLS_CLIENT_CA"),
        help="require client certificates signed by this CA (mTLS)",
    )
    p.add_argument(
        "--allow-insecure",
        action="store_true",
        default=os.environ.get("CRS_ALLOW_INSECURE", "") in ("1", "true"),
        help="allow plaintext on a non-loopback address ($CRS_ALLOW_INSECURE=true)",
    )
    p.add_argument("--log-level", default=os.environ.get("CRS_LOG_LEVEL", "INFO"))
    p.add_argument(
        "--cluster-rules",
        type=Path,
        default=_env_path("CRS_CLUSTER_RULES"),
        help="per-tenant cluster link rules, JSON ($CRS_CLUSTER_RULES; docs/clusters.md)",
    )
    p.add_argument(
        "--notification-rules",
        type=Path,
        default=_env_path("CRS_NOTIFICATION_RULES"),
        help="per-tenant notification rules and late-payment workflow, JSON ($CRS_NOTIFICATION_RULES; "
        "docs/notifications.md)",
    )
    p.add_argument(
        "--notification-delivery",
        type=Path,
        default=_env_path("CRS_NOTIFICATION_DELIVERY"),
        help="notification adapters (SMTP, webhook, SMS), tenants and interval, JSON; unset: nothing is sent "
        "($CRS_NOTIFICATION_DELIVERY; docs/notifications.md)",
    )
    p.add_argument(
        "--risk-rules",
        type=Path,
        default=_env_path("CRS_RISK_RULES"),
        help="per-tenant risk thresholds, SCA settings and EUR rates, JSON ($CRS_RISK_RULES; docs/risk.md)",
    )
    p.add_argument(
        "--segment-rules",
        type=Path,
        default=_env_path("CRS_SEGMENT_RULES"),
        help="per-tenant segment rules, JSON ($CRS_SEGMENT_RULES; docs/segments.md)",
    )
    f = p.add_argument_group("change feed (docs/back-office.md)")
    f.add_argument(
        "--feed-retention",
        type=_duration,
        default=_duration(os.environ.get("CRS_FEED_RETENTION", "7d")),
        help="keep change events this long, e.g. 7d, 36h, 3600s ($CRS_FEED_RETENTION; default 7d)",
    )
    f.add_argument(
        "--feed-settle",
        type=float,
        default=float(os.environ.get("CRS_FEED_SETTLE", "2")),
        help="seconds: consumers see events committed before now minus this; must exceed write latency plus "
        "clock skew between server processes ($CRS_FEED_SETTLE; default 2)",
    )
    g = p.add_argument_group("serving at volume (docs/operations.md)")
    g.add_argument(
        "--workers",
        type=int,
        default=int(os.environ["CRS_WORKERS"]) if os.environ.get("CRS_WORKERS") else None,
        help="server processes sharing the port (SO_REUSEPORT) under a supervisor; default: CPU cores; "
        "1: one process, no supervisor",
    )
    g.add_argument("--worker-of", type=int, default=0, help=argparse.SUPPRESS)
    g.add_argument(
        "--max-concurrent-rpcs",
        type=int,
        default=int(os.environ.get("CRS_MAX_CONCURRENT_RPCS", "0")),
        help="per process: CRS calls beyond this many in flight are refused with RESOURCE_EXHAUSTED (0: no limit)",
    )
    g.add_argument(
        "--metrics-port",
        type=int,
        default=int(os.environ.get("CRS_METRICS_PORT", "9464")),
        help="Prometheus /metrics on this port of --host (0: off)",
    )
    g.add_argument(
        "--health-port",
        type=int,
        default=int(os.environ.get("CRS_HEALTH_PORT", "0")),
        help="also serve grpc.health.v1 in plaintext on this port (for Kubernetes gRPC probes with TLS; 0: off)",
    )
    g.add_argument("--keepalive-time-ms", type=int, default=30_000, help="server pings idle connections this often")
    g.add_argument("--keepalive-timeout-ms", type=int, default=10_000, help="and drops them if no ack within this")
    g.add_argument(
        "--min-ping-interval-ms", type=int, default=10_000, help="clients may ping at most this often (keepalive)"
    )
    g.add_argument("--max-message-bytes", type=int, default=16 * 1024 * 1024, help="request and response size cap")


def _cassandra_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--contact-points",
        default=os.environ.get("CRS_CASSANDRA_CONTACT_POINTS", "127.0.0.1"),
        help="comma-separated Cassandra hosts",
    )
    p.add_argument("--cassandra-port", type=int, default=int(os.environ.get("CRS_CASSANDRA_PORT", "9042")))
    p.add_argument("--keyspace", default=os.environ.get("CRS_CASSANDRA_KEYSPACE", "crs"))
    p.add_argument("--local-dc", default=os.environ.get("CRS_CASSANDRA_LOCAL_DC", "dc1"))
    p.add_argument(
        "--cassandra-reads",
        choices=("native", "driver"),
        default=os.environ.get("CRS_CASSANDRA_READS", "native"),
        help="client of the store's reads: native (crs._core, off the GIL; default) or driver (Python driver)",
    )
    env = os.environ.get
    g = p.add_argument_group(
        "Cassandra credentials and TLS (both CQL clients)",
        "The password comes from --cassandra-password-file or the environment variable CRS_CASSANDRA_PASSWORD, "
        "never from the command line.",
    )
    g.add_argument("--cassandra-username", default=env("CRS_CASSANDRA_USERNAME") or None, help="role to log in as")
    # Refused outright: argparse would otherwise take it as an abbreviation of --cassandra-password-file and
    # print the password back as a missing file's name.
    g.add_argument("--cassandra-password", nargs="?", action=_RefusePassword, help=argparse.SUPPRESS)
    g.add_argument(
        "--cassandra-password-file",
        type=Path,
        default=env("CRS_CASSANDRA_PASSWORD_FILE") or None,
        help="file whose first line is the role's password",
    )
    g.add_argument(
        "--cassandra-tls-ca",
        type=Path,
        default=env("CRS_CASSANDRA_TLS_CA") or None,
        help="PEM CA of the nodes' certificates: connect with TLS and verify them",
    )
    g.add_argument(
        "--cassandra-tls-cert",
        type=Path,
        default=env("CRS_CASSANDRA_TLS_CERT") or None,
        help="PEM client certificate (mutual TLS)",
    )
    g.add_argument(
        "--cassandra-tls-key",
        type=Path,
        default=env("CRS_CASSANDRA_TLS_KEY") or None,
        help="PEM key of that certificate",
    )
    g.add_argument(
        "--cassandra-tls-no-verify-hostname",
        action="store_true",
        default=env("CRS_CASSANDRA_TLS_VERIFY_HOSTNAME", "true").lower() in ("0", "false", "no"),
        help="check the nodes' certificate chain but not that it names the dialled address",
    )


def _no_cql_security() -> CqlSecurity:
    from crs.storage.cql_security import CqlSecurity

    return CqlSecurity()


class _RefusePassword(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        parser.error(
            "a Cassandra password is not taken on the command line (process lists show it): "
            "use --cassandra-password-file or CRS_CASSANDRA_PASSWORD"
        )


def _cql_security(args: argparse.Namespace) -> CqlSecurity:
    """Credentials and TLS for both CQL clients, from the flags and the environment (CqlSecurityError if unusable)."""
    from crs.storage.cql_security import CqlSecurity, password_from

    password = password_from(args.cassandra_password_file, os.environ.get("CRS_CASSANDRA_PASSWORD"))
    if password is not None and args.cassandra_username is None:
        raise ValueError("a Cassandra password is set but no --cassandra-username (CRS_CASSANDRA_USERNAME)")
    return CqlSecurity(
        username=args.cassandra_username,
        password=password,
        ca_file=args.cassandra_tls_ca,
        cert_file=args.cassandra_tls_cert,
        key_file=args.cassandra_tls_key,
        verify_hostname=not args.cassandra_tls_no_verify_hostname,
    )


def _duration(text: str) -> int:
    """Seconds from "3600", "3600s", "90m", "36h" or "7d"."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip().lower()
    scale = units.get(value[-1:], 0)
    digits = value[:-1] if scale else value
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 7d, 36h, 3600s)")
    return int(digits) * (scale or 1)


def _client_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", default=os.environ.get("CRS_TARGET", "127.0.0.1:50051"))
    p.add_argument("--tenant", default=os.environ.get("CRS_TENANT", "default"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crs", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_args(sub.add_parser("serve", help="run the gRPC server"))

    mig = sub.add_parser("migrate", help="create or upgrade the Cassandra schema (idempotent)")
    _cassandra_args(mig)
    mig.add_argument(
        "--replication-factor", type=int, default=int(os.environ.get("CRS_CASSANDRA_RF", "3")), help="per DC"
    )

    keys = sub.add_parser("keys", help="card-data keys").add_subparsers(dest="action", required=True)
    keys.add_parser("generate", help="write a new key file").add_argument("path", type=Path)

    apikey = sub.add_parser("apikey", help="API keys").add_subparsers(dest="action", required=True)
    add = apikey.add_parser("add", help="add a key; prints the secret once")
    add.add_argument("--file", type=Path, required=True)
    add.add_argument("--tenant", required=True)
    add.add_argument("--scopes", required=True, help="comma-separated: read,write,tokenize,detokenize,pii,admin")
    add.add_argument("--id", dest="key_id", default="")

    _seed_args(sub.add_parser("seed", help="bulk-load synthetic customers, accounts and cards"))

    customers = sub.add_parser("customers", help="read customers").add_subparsers(dest="action", required=True)
    for action in ("get", "list", "search"):
        cp = customers.add_parser(action)
        _client_args(cp)
        if action == "get":
            cp.add_argument("id")
        if action == "search":
            g = cp.add_mutually_exclusive_group(required=True)
            g.add_argument("--email")
            g.add_argument("--phone")
            g.add_argument("--card-fingerprint")
        if action == "list":
            cp.add_argument("--page-size", type=int, default=50)
            cp.add_argument("--all", action="store_true", help="follow page tokens to the end")

    cards = sub.add_parser("cards", help="cards").add_subparsers(dest="action", required=True)
    lookup = cards.add_parser("lookup", help="the switch's LookupCard")
    _client_args(lookup)
    lk = lookup.add_mutually_exclusive_group(required=True)
    lk.add_argument("--token")
    lk.add_argument("--pan-stdin", action="store_true", help="read the PAN from standard input (not argv)")

    exp = sub.add_parser(
        "export",
        help="a consistent snapshot as JSON Lines files + manifest.json, through the server (docs/back-office.md)",
    )
    _client_args(exp)
    exp.add_argument("--out", type=Path, required=True, help="directory for <type>.jsonl and manifest.json")
    exp.add_argument(
        "--types",
        default="customers,accounts,cards,relationships,clusters",
        help="comma-separated resource types (default: all)",
    )
    exp.add_argument("--timeout", type=float, default=3600.0, help="seconds for the whole export")

    clusters = sub.add_parser("clusters", help="offline cluster maintenance").add_subparsers(
        dest="action", required=True
    )
    for action, text in (
        ("rebuild", "re-derive identifiers and recompute every cluster of a tenant (overrides kept)"),
        ("train", "estimate the tenant's probabilistic match model (EM, no labels) and store it"),
    ):
        cp = clusters.add_parser(action, help=text)
        cp.add_argument("--tenant", required=True)
        cp.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CRS_DATA_DIR", "var")))
        cp.add_argument("--store", choices=["embedded", "cassandra"], default=os.environ.get("CRS_STORE", "embedded"))
        cp.add_argument("--keys-file", type=Path)
        cp.add_argument("--cluster-rules", type=Path)
        _cassandra_args(cp)
    segments = sub.add_parser("segments", help="segment maintenance").add_subparsers(dest="action", required=True)
    sp = segments.add_parser("refresh", help="re-evaluate the customers whose lifecycle is due to change by --as-of")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("--as-of", default="", help="evaluation time, ISO 8601 (default: now)")
    sp.add_argument("--lookback-days", type=int, default=400)
    sp.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CRS_DATA_DIR", "var")))
    sp.add_argument("--store", choices=["embedded", "cassandra"], default=os.environ.get("CRS_STORE", "embedded"))
    sp.add_argument("--keys-file", type=Path)
    sp.add_argument("--segment-rules", type=Path)
    _cassandra_args(sp)
    audit = sub.add_parser("audit", help="audit trail").add_subparsers(dest="action", required=True)
    tail = audit.add_parser("tail", help="recent audit events, oldest first")
    _client_args(tail)
    tail.add_argument("--resource", default="")
    tail.add_argument("--actor", default="")
    tail.add_argument("--minutes", type=int, default=60)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "cassandra_username"):
        try:
            # Only a command that will connect to Cassandra reads and checks the settings (migrate always does):
            # an embedded-store process is not stopped by a Cassandra setting it never uses.
            uses_cassandra = getattr(args, "store", "cassandra") == "cassandra"
            args.cassandra_security = _cql_security(args) if uses_cassandra else _no_cql_security()
        except ValueError as e:  # CqlSecurityError included
            print(f"crs {args.command}: {e}", file=sys.stderr)
            return 2
    if args.command == "serve":
        return _serve(args, list(argv) if argv is not None else sys.argv[1:])
    if args.command == "migrate":
        return _migrate(args)
    if args.command == "seed":
        return _seed(args)
    if args.command == "clusters":
        return asyncio.run(_clusters(args))
    if args.command == "segments":
        return asyncio.run(_segments(args))
    if args.command == "keys":
        from crs._core import KeyRing, KeyRingError

        try:
            KeyRing.generate(str(args.path))
        except KeyRingError as e:
            print(f"crs: {e}", file=sys.stderr)
            return 1
        print(f"wrote {args.path} (mode 0600); back it up: encrypted card data needs it")
        return 0
    if args.command == "apikey":
        from crs.api.auth import add_key

        scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
        try:
            secret = add_key(args.file, args.key_id or f"{args.tenant}-{int(time.time())}", args.tenant, scopes)
        except ValueError as e:
            print(f"crs: {e}", file=sys.stderr)
            return 1
        print(secret)
        return 0
    return _client(args)


def _serve(args: argparse.Namespace, argv: list[str]) -> int:
    from crs.api import supervisor

    workers = args.workers if args.workers is not None else supervisor.default_workers()
    if workers < 1:
        print("crs: --workers must be at least 1", file=sys.stderr)
        return 2
    if workers > 1 and not args.worker_of:
        from crs.api import logs

        logs.configure(args.log_level)
        return supervisor.Supervisor(
            argv, workers, args.host, args.port, args.port_file, args.metrics_port, args.grace, args.drain_delay
        ).run()

    if not args.worker_of:
        # One standalone process needs no multiprocess metrics (and its directory may not exist).
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from crs.api.server import ServerConfig, serve

    config = ServerConfig(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        store=args.store,
        keys_file=args.keys_file,
        api_keys_file=args.api_keys_file,
        grace_seconds=args.grace,
        drain_delay_seconds=args.drain_delay,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_client_ca=args.tls_client_ca,
        allow_insecure=args.allow_insecure,
        port_file=args.port_file,
        log_level=args.log_level,
        contact_points=tuple(h.strip() for h in args.contact_points.split(",") if h.strip()),
        cassandra_port=args.cassandra_port,
        keyspace=args.keyspace,
        local_dc=args.local_dc,
        cassandra_reads=args.cassandra_reads,
        cassandra_security=args.cassandra_security,
        cluster_rules_file=args.cluster_rules,
        notification_rules_file=args.notification_rules,
        notification_delivery_file=args.notification_delivery,
        risk_rules_file=args.risk_rules,
        segment_rules_file=args.segment_rules,
        max_concurrent_rpcs=args.max_concurrent_rpcs,
        metrics_port=args.metrics_port,
        keepalive_time_ms=args.keepalive_time_ms,
        keepalive_timeout_ms=args.keepalive_timeout_ms,
        min_ping_interval_ms=args.min_ping_interval_ms,
        max_message_bytes=args.max_message_bytes,
        reuse_port=bool(args.worker_of),
        health_port=args.health_port,
        worker_of=args.worker_of,
        feed_retention_seconds=args.feed_retention,
        feed_settle_seconds=args.feed_settle,
    )
    from crs.api import logs
    from crs.storage.base import StoreUnavailable

    logs.configure(config.log_level)
    try:
        asyncio.run(serve(config))
    except (ValueError, StoreUnavailable) as e:
        print(f"crs: {e}", file=sys.stderr)
        return 2
    return 0


def _seed_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--customers", type=int, required=True, help="how many customers (each: account, card, ids)")
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CRS_DATA_DIR", "var")))
    p.add_argument("--keys-file", type=Path, help="card-data key file (default: $CRS_KEYS or DATA_DIR/keys.json)")
    p.add_argument("--tenant", default="default")
    p.add_argument("--salt", type=int, default=0, help="selects the synthetic PAN sequence")
    p.add_argument("--start", type=int, default=0, help="first customer index (to extend an earlier seed)")
    p.add_argument("--manifest", type=Path, help="write tenant, salt, counts and sample tokens here (no PANs)")
    p.add_argument(
        "--store",
        choices=["embedded", "cassandra"],
        default=os.environ.get("CRS_STORE", "embedded"),
        help="embedded: DATA_DIR/crs.db; cassandra: --keyspace (migrated first with `crs migrate`)",
    )
    _cassandra_args(p)


def _seed(args: argparse.Namespace) -> int:
    from crs.api.server import ServerConfig, load_keyring, open_store
    from crs.seed import seed, write_manifest

    if args.customers < 1:
        print("crs seed: --customers must be at least 1", file=sys.stderr)
        return 2
    config = ServerConfig(
        data_dir=args.data_dir,
        store=args.store,
        keys_file=args.keys_file,
        contact_points=tuple(h.strip() for h in args.contact_points.split(",") if h.strip()),
        cassandra_port=args.cassandra_port,
        keyspace=args.keyspace,
        local_dc=args.local_dc,
        cassandra_reads=args.cassandra_reads,
        cassandra_security=args.cassandra_security,
    )
    keyring = load_keyring(config)

    async def run() -> None:
        store = open_store(config)
        try:
            result = await seed(store, keyring, args.tenant, args.customers, salt=args.salt, start=args.start)
        finally:
            await store.close()
        if args.manifest is not None:
            write_manifest(args.manifest, args.tenant, args.salt, args.start, result)
        print(
            f"seeded {result.customers} customers ({result.rows} rows) in {result.seconds:.1f} s: "
            f"{result.per_second:.0f} customers/s"
        )

    from crs.storage.base import StoreUnavailable

    try:
        asyncio.run(run())
    except (ValueError, StoreUnavailable) as e:  # no keyspace / not migrated, Cassandra unreachable
        print(f"crs seed: {e}", file=sys.stderr)
        return 2
    return 0


async def _clusters(args: argparse.Namespace) -> int:
    from crs.api.server import ServerConfig, load_keyring, open_store
    from crs.domain.app import Domain
    from crs.domain.clusters import maintenance
    from crs.domain.clusters.rules import TenantRules

    config = ServerConfig(
        data_dir=args.data_dir,
        store=args.store,
        keys_file=args.keys_file,
        contact_points=tuple(h.strip() for h in args.contact_points.split(",") if h.strip()),
        cassandra_port=args.cassandra_port,
        keyspace=args.keyspace,
        local_dc=args.local_dc,
        cassandra_reads=args.cassandra_reads,
        cassandra_security=args.cassandra_security,
    )
    store = open_store(config)
    try:
        rules = TenantRules.from_file(args.cluster_rules) if args.cluster_rules else TenantRules()
        domain = Domain(store, load_keyring(config), rules)
        if args.action == "rebuild":
            report = await maintenance.rebuild(domain.clusters.engine, store, args.tenant)
            print(f"tenant {args.tenant}: {report.customers} customers reconciled, {report.events} cluster events")
        else:
            model = await maintenance.train(store, args.tenant)
            print(f"tenant {args.tenant}: model stored, link threshold {model.threshold:.2f} (log2 weight)")
    finally:
        await store.close()
    return 0


async def _segments(args: argparse.Namespace) -> int:
    import datetime as dt

    from crs.api.server import ServerConfig, load_keyring, open_store
    from crs.domain.app import Domain
    from crs.domain.context import CallContext, Principal
    from crs.domain.transactions.segment_rules import TenantSegmentRules

    as_of = dt.datetime.fromisoformat(args.as_of) if args.as_of else dt.datetime.now(dt.UTC)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.UTC)
    config = ServerConfig(
        data_dir=args.data_dir,
        store=args.store,
        keys_file=args.keys_file,
        contact_points=tuple(h.strip() for h in args.contact_points.split(",") if h.strip()),
        cassandra_port=args.cassandra_port,
        keyspace=args.keyspace,
        local_dc=args.local_dc,
        cassandra_reads=args.cassandra_reads,
        cassandra_security=args.cassandra_security,
    )
    store = open_store(config)
    try:
        rules = TenantSegmentRules.from_file(args.segment_rules) if args.segment_rules else None
        domain = Domain(store, load_keyring(config), segment_rules=rules)
        ctx = CallContext(Principal("cli:segments-refresh", args.tenant, frozenset({"admin"})), "crs segments refresh")
        as_of_us = int(as_of.timestamp() * 1_000_000)
        evaluated, changed = await domain.segments.refresh(ctx, args.tenant, as_of_us, args.lookback_days)
        print(f"tenant {args.tenant}: {evaluated} customers evaluated, {changed} moved segment")
    finally:
        await store.close()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from crs.storage.migrate import migrate

    hosts = [h.strip() for h in args.contact_points.split(",") if h.strip()]
    try:
        applied = migrate(
            hosts, args.keyspace, args.local_dc, args.replication_factor, args.cassandra_port, args.cassandra_security
        )
    except Exception as e:
        print(f"crs migrate: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"keyspace {args.keyspace}: applied {applied or 'nothing (up to date)'}")
    return 0


def _client(args: argparse.Namespace) -> int:
    import grpc

    key = os.environ.get("CRS_API_KEY")
    if not key:
        print("crs: set CRS_API_KEY to an API key", file=sys.stderr)
        return 2
    md = (("authorization", f"Bearer {key}"),)
    commands = {"customers": _customers_cmd, "cards": _cards_cmd, "audit": _audit_cmd, "export": _export_cmd}
    with grpc.insecure_channel(args.target) as channel:
        try:
            commands[args.command](channel, args, md)
        except grpc.RpcError as err:
            print(f"crs: {err.code().name}: {err.details()}", file=sys.stderr)
            return 1
    return 0


def _show(message: Any) -> None:
    from google.protobuf import json_format

    print(json_format.MessageToJson(message, indent=2))


Metadata = tuple[tuple[str, str], ...]


def _customers_cmd(channel: Any, args: argparse.Namespace, md: Metadata) -> None:
    from crs.v1 import customer_pb2, customer_pb2_grpc

    parent = f"tenants/{args.tenant}"
    cs = customer_pb2_grpc.CustomerServiceStub(channel)
    if args.action == "get":
        _show(cs.GetCustomer(customer_pb2.GetCustomerRequest(name=f"{parent}/customers/{args.id}"), metadata=md))
    elif args.action == "search":
        req = customer_pb2.SearchCustomersRequest(parent=parent)
        if args.email:
            req.email = args.email
        elif args.phone:
            req.phone = args.phone
        else:
            req.card_fingerprint = args.card_fingerprint
        _show(cs.SearchCustomers(req, metadata=md))
    else:
        token = ""
        while True:
            page = cs.ListCustomers(
                customer_pb2.ListCustomersRequest(parent=parent, page_size=args.page_size, page_token=token),
                metadata=md,
            )
            _show(page)
            token = page.next_page_token
            if not (args.all and token):
                break


def _cards_cmd(channel: Any, args: argparse.Namespace, md: Metadata) -> None:
    from crs.v1 import card_pb2, card_pb2_grpc

    req = card_pb2.LookupCardRequest(parent=f"tenants/{args.tenant}")
    if args.token:
        req.token = args.token
    else:
        req.pan = sys.stdin.readline().strip()
    _show(card_pb2_grpc.CardServiceStub(channel).LookupCard(req, metadata=md))


def _audit_cmd(channel: Any, args: argparse.Namespace, md: Metadata) -> None:
    from google.protobuf import timestamp_pb2

    from crs.v1 import audit_pb2, audit_pb2_grpc

    start = timestamp_pb2.Timestamp()
    start.FromSeconds(int(time.time()) - 60 * args.minutes)
    req = audit_pb2.ListAuditEventsRequest(
        parent=f"tenants/{args.tenant}", resource=args.resource, actor=args.actor, start_time=start, page_size=1000
    )
    _show(audit_pb2_grpc.AuditServiceStub(channel).ListAuditEvents(req, metadata=md))


def _export_cmd(channel: Any, args: argparse.Namespace, md: Metadata) -> None:
    from crs.export import export
    from crs.v1 import changefeed_pb2_grpc

    types = [t.strip() for t in args.types.split(",") if t.strip()]
    stub = changefeed_pb2_grpc.ChangeFeedServiceStub(channel)
    manifest = export(stub, args.tenant, args.out, types, md, args.timeout)
    counts = ", ".join(f"{t} {e['count']}" for t, e in manifest["files"].items())
    print(f"exported {counts} to {args.out} as of cursor {manifest['cursor']}")


if __name__ == "__main__":
    raise SystemExit(main())
