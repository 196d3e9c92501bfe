"""Type stubs for ``crs._core``, the Rust card-data core (PyO3).

Nothing in this module ever puts a PAN, plaintext or key material in an
exception message or a ``repr``.

Tenant ids passed to ``KeyRing`` methods must be 1-128 bytes and must not
contain ``'|'`` or control characters (they are part of key-derivation info
strings and AEAD associated data); otherwise ``CoreError`` is raised.
"""

import os
from collections.abc import Iterable, Sequence
from typing import Any, final

__all__ = [
    "AuthorizationRules",
    "ClusterIndex",
    "CoreError",
    "CqlError",
    "CqlReader",
    "DecryptionError",
    "InvalidPanError",
    "KeyRing",
    "KeyRingError",
    "PanInfo",
    "SealedPan",
    "SnapshotError",
    "StoreBusyError",
    "StoreKeyError",
    "StoreReadError",
    "StoreReader",
    "authorization_context_head",
    "authorization_context_tail",
    "classify_brand",
    "has_long_digit_run",
    "is_token_shaped",
    "lookup_card_response",
    "luhn_valid",
    "new_token",
    "validate_pan",
    "velocity_windows",
]

class CoreError(ValueError):
    """Base class of every error raised by crs._core."""

class InvalidPanError(CoreError):
    """Not a valid PAN. ``args[0]`` is one of ``"PAN must contain only digits"``,
    ``"PAN length must be 12 to 19 digits"``, ``"PAN fails the Luhn check"``."""

class KeyRingError(CoreError):
    """Key file / key ring problem; also raised for an unknown key id."""

class DecryptionError(CoreError):
    """Authenticated decryption failed (wrong tenant, token, context or key, or tampered data)."""

class SnapshotError(CoreError):
    """A ``ClusterIndex`` snapshot could not be written or read: I/O error, truncated file,
    bad magic, unsupported version, checksum mismatch, or inconsistent contents."""

class StoreReadError(CoreError):
    """A read of the embedded store's file failed. The message names the statement or the file, never a value."""

class StoreBusyError(StoreReadError):
    """The store's file was locked longer than ``StoreReader`` waits while it holds the GIL (20 ms)."""

class StoreKeyError(CoreError):
    """A keyed read's key ``StoreReader`` does not encode (an unregistered table, a wrong shape, text with a control
    character, an integer outside ``[0, 10**20)``, a part of another type): the store encodes it in Python
    (``crs.storage.keys.encode_key``), which raises the exact error or reads what it encodes."""

class CqlError(CoreError):
    """``CqlReader`` could not connect, prepare or submit. The message comes from the driver and names the error,
    never a bound value."""

@final
class CqlReader:
    """Keyed reads of the Cassandra store on a native CQL client (LOCAL_QUORUM, token-aware in ``local_dc``, a
    client timeout, one speculative execution after ``speculative_delay`` seconds when not None). Queries run on
    the reader's own thread, which never takes the GIL: ``submit`` returns at once, ``fileno()`` becomes
    readable when answers are waiting, and ``take()`` returns every answer not taken yet."""

    def __new__(
        cls,
        nodes: list[str],
        local_dc: str,
        keyspace: str,
        request_timeout: float,
        speculative_delay: float | None,
        connect_timeout: float,
        *,
        username: str | None = None,
        password: str | None = None,
        tls_ca: bytes | None = None,
        tls_cert: bytes | None = None,
        tls_key: bytes | None = None,
        tls_verify_hostname: bool = True,
    ) -> CqlReader:
        """Connects to ``nodes`` (``host:port``), fetching the schema of ``keyspace`` only (for token-aware
        routing); blocks without the GIL. ``username``/``password`` log in (PasswordAuthenticator); ``tls_ca``
        (PEM) turns TLS on and verifies the nodes against it, naming the dialled IP unless
        ``tls_verify_hostname`` is false; ``tls_cert``/``tls_key`` (PEM) present a client certificate. Raises
        ``ValueError`` for settings that do not go together, ``CqlError`` for the rest (never echoing a
        secret)."""

    def prepare(self, cql: str) -> int:
        """Prepares a read statement (blocks without the GIL); returns its number for ``submit``."""

    def submit(self, statement: int, values: list[str | int], tag: int) -> None:
        """Starts ``statement`` with ``values`` (text or int columns); its answer comes out of ``take()`` under
        ``tag``. Raises ``CqlError`` when closed."""

    def fileno(self) -> int:
        """A descriptor that becomes readable when answers are waiting (for ``loop.add_reader``)."""

    def take(self) -> list[tuple[int, list[tuple[Any, ...]] | None, str | None, bool]]:
        """``(tag, rows, error, retryable)`` per finished query: ``rows`` (text as str, int as int, blob as
        bytes, null as None) when it succeeded, else ``error`` and whether a retry may succeed."""

    def close(self) -> None:
        """Stops the session; queries still running never answer. Later calls raise ``CqlError``."""

@final
class StoreReader:
    """Keyed reads of the embedded store's SQLite file that keep the GIL: Python's ``sqlite3`` releases it
    around every step, a hand-off whenever another thread is waiting for it. Read-only
    (``PRAGMA query_only``), on the process's own libsqlite3. ``sql`` is the statement text the store built."""

    def __new__(
        cls, path: str | os.PathLike[str], cache_kib: int, tables: list[tuple[str, str, str, int, int]] = ...
    ) -> StoreReader:
        """Opens the existing file ``path`` with a page cache of ``cache_kib`` KiB. ``tables``: each table's
        keyed-read plan, for the ``*_key``/``*_keys`` reads, which take a table (any object whose ``name`` is
        registered here) and its key tuple and encode the key as ``crs.storage.keys.encode_key`` does: (name,
        SQL of the single-row read (binds pk, ck, now), SQL of the unbounded scan (binds pk, now, limit),
        partition key parts, key parts). Raises ``StoreReadError``."""

    def get_key(self, table: object, key: tuple[object, ...], now: float) -> tuple[bytes, str] | None:
        """``get`` of ``key`` in ``table``. Raises ``StoreKeyError`` for a key it does not encode."""

    def get_each_keys(
        self, reads: Sequence[tuple[object, tuple[object, ...]]], now: float
    ) -> list[tuple[bytes, str] | None]:
        """``get_each`` of ``(table, key)`` pairs (a list or a tuple). Raises ``StoreKeyError`` as ``get_key``."""

    def get_each_scan_keys(
        self,
        reads: Sequence[tuple[object, tuple[object, ...]]],
        table: object,
        partition: tuple[object, ...],
        limit: int,
        now: float,
    ) -> tuple[list[tuple[bytes, str] | None], list[tuple[str, bytes, str]]]:
        """``get_each_scan`` of ``(table, key)`` pairs and the partition ``partition`` of ``table`` (its first
        ``limit`` rows). Raises ``StoreKeyError`` as ``get_key``."""

    def get_through_keys(
        self, index: object, index_key: tuple[object, ...], table: object, key_head: tuple[object, ...], now: float
    ) -> tuple[tuple[bytes, str] | None, tuple[bytes, str] | None]:
        """``get_through`` of the row ``index_key`` of ``index`` and the row of ``table`` whose key is
        ``key_head`` and the index row's value. Raises ``StoreKeyError`` as ``get_key``."""

    def get(self, sql: str, pk: str, ck: str, now: float) -> tuple[bytes, str] | None:
        """``(value, version)`` of the one row ``sql`` selects for ``(pk, ck, now)``, or None."""

    def get_each(self, reads: list[tuple[str, str, str]], now: float) -> list[tuple[bytes, str] | None]:
        """``get`` of each ``(sql, pk, ck)`` in order, inside one read transaction (one snapshot of the file)."""

    def get_each_scan(
        self, reads: list[tuple[str, str, str]], scan: tuple[str, str, int], now: float
    ) -> tuple[list[tuple[bytes, str] | None], list[tuple[str, bytes, str]]]:
        """``get_each(reads)`` and the rows of the scan ``(sql, pk, limit)`` (``sql`` binds pk, now, limit), inside
        one read transaction."""

    def get_through(
        self, index: tuple[str, str, str], named: tuple[str, str, str, bool], now: float
    ) -> tuple[tuple[bytes, str] | None, tuple[bytes, str] | None]:
        """The index row ``index`` (sql, pk, ck) and the row it names, inside one read transaction. The index
        row's value (UTF-8) is the named row's last key part: ``named`` is (sql, head, other, in_partition), the
        value appended after ``head`` (encoded parts before it, "" for none) to the partition key when
        ``in_partition``, else to the clustering key, ``other`` the other half. ``(None, None)`` without an
        index row, ``(index, None)`` when the named row is missing. Raises ``StoreReadError`` for an index value
        that is not key text (not UTF-8, or a control character)."""

    def scan(
        self, sql: str, pk: str, now: float, after: str | None, before: str | None, limit: int
    ) -> list[tuple[str, bytes, str]]:
        """``(clustering, value, version)`` rows; ``sql`` binds pk, now, ``after`` and ``before`` when not None,
        then ``limit``."""

    def begin(self) -> None:
        """Starts a snapshot: every read until ``end`` comes from one read transaction, so from one state of the
        file (the state when the first of them ran). A read that fails leaves it open; ``begin`` inside a
        snapshot changes nothing. Raises ``StoreReadError``."""

    def end(self) -> None:
        """Ends the open snapshot, if any. Raises ``StoreReadError``."""

    def in_snapshot(self) -> bool:
        """Whether a snapshot is open. Raises ``StoreReadError`` once closed."""

    def close(self) -> None:
        """Closes the connection; later reads raise ``StoreReadError``."""

def has_long_digit_run(data: bytes) -> bool:
    """Whether ``data`` holds 19 or more ASCII digits in a row (a JSON integer that may not fit 64 bits)."""

def luhn_valid(digits: str) -> bool:
    """True if ``digits`` is non-empty, all ASCII digits, with a correct Luhn check digit."""

def validate_pan(pan: str) -> PanInfo:
    """Validate a PAN (ASCII spaces and ``-`` are stripped): digits only, 12-19 long,
    Luhn-valid. Raises ``InvalidPanError``."""

def classify_brand(pan_or_bin: str) -> str:
    """One of ``VISA MASTERCARD AMEX DISCOVER JCB DINERS UNIONPAY MAESTRO MIR UNKNOWN``."""

def is_token_shaped(s: str) -> bool:
    """True for 12-19 ASCII digits that FAIL the Luhn check."""

def new_token(pan: str) -> str:
    """Same as ``KeyRing.new_token`` (no key needed). Raises ``InvalidPanError``."""

def velocity_windows(
    state: bytes | None, at_us: int
) -> tuple[int, int, int, int, list[tuple[str, int, dict[str, tuple[int, int]]]]]:
    """A cluster's velocity windows from its stored state (the JSON of ``windows.VelocityState``; None: no row) at
    ``max(at_us, watermark)``: ``(at_us, watermark_us, late_dropped, duplicates, windows)``, the windows in level
    order (1m, 1h, 24h, 30d) as ``(name, count, currency -> (count, amount_minor))`` in currency order. Raises
    ``CoreError`` for a state that is not valid JSON of that shape, or whose numbers or totals exceed 64 bits."""

def authorization_context_head(
    card: bytes,
    account: bytes | None,
    owners: list[bytes],
    clusters_of: dict[str, str],
    as_of: tuple[int, int, int],
    preferred_method: str,
) -> bytes:
    """Fields 1, 2, 3, 5 and 7 of the encoded ``crs.v1.AuthorizationContext`` (card, account, owners, as-of time,
    preferred method) for the stored JSON records of a card, its account (None: no account) and its owning
    customers (in that order; each owner's cluster from ``clusters_of``, customer id -> cluster id). ``as_of`` is
    (microseconds since the epoch, UTC year, UTC month) of the call: the card is expired when its (year, month) is
    before it. The caller appends the other fields' encoding. Raises ``CoreError`` for a record that is not valid
    (the message never quotes the record)."""

def authorization_context_tail(
    cluster: tuple[str, int, int, int, dict[str, int], list[tuple[int, str, str, int, str]]] | None,
    risk: tuple[
        int,
        list[tuple[str, int, str]],
        tuple[list[tuple[str, int, dict[str, tuple[int, int]]]], int, int, int, int] | None,
    ]
    | None,
) -> bytes:
    """Fields 4 and 6 of the encoded ``crs.v1.AuthorizationContext``, each when given; appended to
    ``authorization_context_head``'s bytes they make the whole message. ``cluster`` is (resource name, version,
    size, customer-since microseconds, statistics by ``ClusterStats`` field name, risk flags as (identifier kind
    number, masked value, fingerprint, customer count, reason)). ``risk`` is (score, signals as (code, score,
    reason), velocity or None); the velocity is (windows as (name, count, currency -> (count, amount in minor
    units)) in order, as-of microseconds, newest-event microseconds, late dropped, duplicates). Raises
    ``CoreError`` for a statistic ``ClusterStats`` has no field for."""

@final
class AuthorizationRules:
    """One tenant's authorization rules, evaluated in the core: the risk signals an authorization lookup can
    raise and the stated preferred method (``crs.domain.authorization_rules`` builds it from the tenant's
    ``RiskConfig``). ``thresholds``: the ``RiskConfig`` integers the rules read, by field name; ``scores``: every
    signal code's score; ``eur_rates``: currency -> (EUR rate as a plain decimal string, minor-unit exponent);
    ``card_states``: card state number -> its wording in CARD_NOT_ACTIVE; ``kind_numbers``: identifier kind
    name -> ``IdentifierKind`` number; ``channels``: profile checkout channel -> payment channel number;
    ``known_methods``: the method names a bank-transfer scheme may be stated as. Raises ``CoreError`` for a
    missing threshold or score, or a rate that is not a plain decimal of at most 28 digits."""

    def __new__(
        cls,
        tenant: str,
        *,
        thresholds: dict[str, int],
        scores: dict[str, int],
        eur_rates: dict[str, tuple[str, int]],
        card_states: dict[int, str],
        kind_numbers: dict[str, int],
        channels: dict[str, int],
        known_methods: set[str],
    ) -> AuthorizationRules: ...
    def authorization_context(
        self,
        records: tuple[bytes, bytes | None, list[bytes]],
        clusters_of: dict[str, str],
        rows: tuple[bytes | None, bytes | None, bytes | None, bytes | None],
        as_of: tuple[int, int, int],
    ) -> bytes:
        """The whole encoded ``crs.v1.AuthorizationContext`` from the rows one lookup read: ``records`` the stored
        card, account (None: not found) and owners' customer records; ``clusters_of`` customer id -> cluster id;
        ``rows`` the cardholder's cluster row, its velocity row, the cardholder's profile row and its cluster's
        profile row (each None when not stored); ``as_of`` (microseconds, UTC year, UTC month), also the rules'
        now. Raises ``CoreError`` for whatever it leaves to the Python rules (a record of another shape, an
        amount beyond its exact range, an unknown identifier kind); the message never quotes a record."""

def lookup_card_response(card: bytes, account: bytes | None, owners: list[bytes]) -> bytes:
    """The encoded ``crs.v1.LookupCardResponse`` for the stored JSON records of a card, its account (None: no
    account) and its owning customers, national identifiers masked: the message ``crs.api.convert`` builds.
    Raises ``CoreError`` for a record that is not valid (the message never quotes the record)."""

@final
class PanInfo:
    """Non-sensitive PAN metadata."""

    @property
    def bin(self) -> str:
        """First six digits."""

    @property
    def last4(self) -> str: ...
    @property
    def brand(self) -> str: ...
    @property
    def length(self) -> int: ...

@final
class SealedPan:
    """Result of ``KeyRing.seal_pan``; holds no plaintext PAN."""

    @property
    def token(self) -> str:
        """Vault token: BIN6 + random digits + last4, same length as the PAN, Luhn-invalid."""

    @property
    def fingerprint(self) -> str:
        """Lowercase hex HMAC-SHA256 of the PAN under the tenant's fingerprint key."""

    @property
    def key_id(self) -> str:
        """Id of the encryption key the ciphertext was sealed under."""

    @property
    def ciphertext(self) -> bytes:
        """``nonce(12) || ciphertext || tag(16)`` (AES-256-GCM)."""

    @property
    def bin(self) -> str: ...
    @property
    def last4(self) -> str: ...
    @property
    def brand(self) -> str: ...

@final
class KeyRing:
    """AES-256-GCM encryption keys plus the index key (HKDF root of all HMAC keys).

    Key file JSON (version 1)::

        {"version": 1, "active_key_id": "k2",
         "encryption_keys": {"k1": "<base64 32 bytes>", "k2": "<base64 32 bytes>"},
         "index_key": {"id": "i1", "key": "<base64 32 bytes>"}}

    Instances are created only through the static constructors.
    """

    @staticmethod
    def from_json(data: str) -> KeyRing:
        """Parse key file JSON. Raises ``KeyRingError``."""

    @staticmethod
    def from_file(path: str | os.PathLike[str]) -> KeyRing:
        """Read a key file. Raises ``KeyRingError``."""

    @staticmethod
    def from_env(var: str = "CRS_KEYS") -> KeyRing:
        """Parse the key file JSON held in environment variable ``var``. Raises ``KeyRingError``."""

    @staticmethod
    def generate(path: str | os.PathLike[str]) -> None:
        """Write a new key file (mode 0600): encryption key ``k1`` (active) and index key
        ``i1``. Raises ``KeyRingError`` if the file exists (it is never overwritten)."""

    @property
    def active_key_id(self) -> str: ...
    @property
    def index_key_id(self) -> str: ...
    def key_ids(self) -> list[str]:
        """Encryption key ids, sorted."""

    def fingerprint_pan(self, tenant: str, pan: str) -> str:
        """Lowercase hex HMAC-SHA256(tenant fingerprint key, normalised PAN).
        Raises ``InvalidPanError``."""

    def seal_pan(self, tenant: str, pan: str) -> SealedPan:
        """Validate, fingerprint, tokenise and encrypt under the active key.
        Raises ``InvalidPanError``."""

    def seal_pans(self, tenant: str, pans: list[str]) -> list[SealedPan | str]:
        """Batch ``seal_pan`` (GIL released, parallel for large batches). An invalid PAN
        yields its ``InvalidPanError`` reason string in place."""

    def fingerprint_pans(self, tenant: str, pans: list[str]) -> list[str | None]:
        """Batch ``fingerprint_pan`` (GIL released); ``None`` where the PAN is invalid."""

    def reseal_pan(self, tenant: str, pan: str, token: str) -> tuple[str, bytes]:
        """Encrypt ``pan`` under the active key for an existing token; returns
        ``(key_id, ciphertext)``. Raises ``InvalidPanError``, or ``CoreError`` if ``token``
        is not token-shaped (see ``is_token_shaped``)."""

    def open_pan(self, tenant: str, token: str, key_id: str, ciphertext: bytes) -> str:
        """Decrypt a sealed PAN with the named (possibly retired) key. Raises
        ``KeyRingError`` if ``key_id`` is not in the ring, ``DecryptionError`` on any other
        failure (wrong tenant, token or key id, truncated or tampered bytes)."""

    def new_token(self, pan: str) -> str:
        """Fresh vault token for ``pan``: BIN6 + random middle digits + last4, same length,
        always Luhn-invalid. Raises ``InvalidPanError``."""

    def blind_index(self, tenant: str, kind: str, normalized_value: str) -> str:
        """Deterministic lowercase hex HMAC-SHA256 under the (tenant, kind) key.
        ``kind`` must be non-empty (``CoreError``)."""

    def mac(self, purpose: str, data: bytes) -> bytes:
        """32-byte HMAC-SHA256 under the key derived for ``purpose`` (non-empty)."""

    def verify_mac(self, purpose: str, data: bytes, tag: bytes) -> bool:
        """Constant-time check of a tag produced by ``mac``."""

    def encrypt_field(self, tenant: str, context: str, plaintext: str) -> tuple[str, bytes]:
        """AES-256-GCM under the active key; returns ``(key_id, nonce || ct || tag)``."""

    def decrypt_field(self, tenant: str, context: str, key_id: str, ciphertext: bytes) -> str:
        """Inverse of ``encrypt_field``. Same errors as ``open_pan``."""

@final
class ClusterIndex:
    """Incremental connected components ("customer clusters") over opaque 16-byte keys.

    Every key argument must be ``bytes`` of length 16, else ``CoreError`` is raised. Queries on
    a key that is not in the index do not raise: ``find`` and ``path`` return ``None``,
    ``members`` and ``neighbors`` return ``[]``, ``component_size`` returns ``0`` and ``same``
    returns ``False``.

    The canonical representative of a component (``find``) is its smallest key (bytewise), so it
    is deterministic and independent of insertion order. It is kept at the union-find root, so
    ``find``, ``same`` and ``component_size`` cost O(log n) (union by size).

    Costs (n = component size): ``link`` amortised near-constant, plus O(min degree) when both
    keys are already in one component (duplicate-edge check); ``members`` O(n log n);
    ``unlink`` a BFS of the component that stops as soon as the other endpoint is reached, and
    O(n + edges) when the component splits; ``remove_node`` O(n + edges).

    Memory: keys are stored once; about 60 heap bytes per node at ~1 edge per node after
    ``build``/``load``/``shrink_to_fit`` (incremental growth can over-allocate by up to 2x, as
    lists do, until ``shrink_to_fit``).

    Not safe to mutate from several threads at once: during ``link_many`` (GIL released) other
    threads that touch the same index get ``RuntimeError`` (already borrowed).
    """

    def __init__(self) -> None:
        """An empty index."""

    @staticmethod
    def build(pairs: Iterable[tuple[bytes, bytes]]) -> ClusterIndex:
        """Build an index from ``(a, b)`` pairs in one pass; ``(k, k)`` adds the isolated node
        ``k``. The GIL is released after the pairs are read; keys and edges are sorted and
        deduplicated in parallel."""

    @staticmethod
    def load(path: str | os.PathLike[str]) -> ClusterIndex:
        """Read a snapshot written by ``save`` (GIL released). Raises ``SnapshotError`` on any
        I/O error, truncation, corruption or inconsistency."""

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a snapshot (GIL released) to ``path + ".tmp"``, fsync, rename onto ``path``.

        Format version 1, little-endian: 32-byte header (magic ``b"CRSCLIDX"``, u32 version,
        u32 reserved, u64 node count, u64 edge count), the keys sorted (16 bytes each), the
        edges as sorted u32 index pairs ``(a, b)`` with ``a < b``, then the SHA-256 of all
        preceding bytes. Raises ``SnapshotError`` on I/O errors."""

    def link(self, a: bytes, b: bytes) -> bool:
        """Add ``a`` and ``b`` as needed and the edge between them. True if two components
        merged. Idempotent for an existing edge; ``link(a, a)`` only adds the node."""

    def link_many(self, pairs: Iterable[tuple[bytes, bytes]]) -> int:
        """``link`` each pair in order (GIL released after the pairs are read); returns the
        number of merges. All keys are validated before any is linked."""

    def unlink(self, a: bytes, b: bytes) -> list[list[bytes]]:
        """Remove the edge ``a``-``b`` (no-op if absent). If the component split, returns the
        two resulting components (each sorted, ordered by smallest key); else ``[]``."""

    def add_node(self, a: bytes) -> bool:
        """Add an isolated node; True if it was not present."""

    def remove_node(self, a: bytes) -> list[list[bytes]]:
        """Remove ``a`` and its edges (no-op if absent). If the rest of its component split
        into two or more components, returns them (each sorted, ordered by smallest key);
        else ``[]``."""

    def contains(self, a: bytes) -> bool:
        """True if ``a`` is a node."""

    def __contains__(self, key: bytes, /) -> bool: ...
    def find(self, a: bytes) -> bytes | None:
        """The smallest key of ``a``'s component (deterministic cluster id), or ``None``."""

    def members(self, a: bytes) -> list[bytes]:
        """The keys of ``a``'s component, sorted."""

    def component_size(self, a: bytes) -> int:
        """Number of nodes in ``a``'s component."""

    def same(self, a: bytes, b: bytes) -> bool:
        """True if both keys are nodes of one component."""

    def path(self, a: bytes, b: bytes) -> list[bytes] | None:
        """A shortest chain of nodes from ``a`` to ``b`` (both included) over current edges
        (BFS), explaining why they are in one cluster; ``None`` if not connected."""

    def neighbors(self, a: bytes) -> list[bytes]:
        """Keys linked to ``a`` directly, sorted."""

    @property
    def node_count(self) -> int: ...
    @property
    def edge_count(self) -> int:
        """Distinct undirected edges (self links are not edges)."""

    @property
    def component_count(self) -> int:
        """Connected components, isolated nodes included."""

    def memory_bytes(self) -> int:
        """Heap bytes allocated by the structure, computed from its buffers' capacities
        (keys, node records, half-edges, hash table)."""

    def shrink_to_fit(self) -> None:
        """Release the spare capacity left by incremental growth (``link``, ``add_node``);
        slots freed by removals are kept for reuse."""

    def __len__(self) -> int:
        """Same as ``node_count``."""
