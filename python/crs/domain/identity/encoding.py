"""Privacy-preserving keyed encodings of customer data for record linkage.

Everything a `MatchRecord` holds is derived through a tenant key (`Keyer`): exact keys are truncated HMACs,
similarity encodings are keyed Bloom filters of character bigrams (Schnell et al. 2009 style, one HMAC per
bigram, k bit positions cut out of that HMAC). Without the key, the record is a set of pseudo-random bytes;
with it, a dictionary attack is still possible, so the key must stay in the service's key ring.

Date of birth (never stored, only compared through keys):

=========  ==========================  =========================================================
key        input                       what an equal key means
=========  ==========================  =========================================================
``full``   ``YYYY-MM-DD``              same date
``y``      ``YYYY``                    same year (blocking only)
``ym``     ``YYYY-MM``                 same year and month (day typo)
``yd``     ``YYYY-DD``                 same year and day (month typo)
``md``     ``MM-DD``                   same day and month (year typo / wrong century)
``near``   full key of ``YYYY-DD-MM``  this record's day/month swapped (only when day <= 12 and
           and of ``YYYY±1-MM-DD``     day != month) or its year off by one equals the other's
                                       ``full``; also day +-1 within the month (one day-digit typo)
=========  ==========================  =========================================================

Name tokens (record version 2): besides the whole-name Bloom filter, every token of the canonical name is encoded
on its own, so that the matcher can tell "same surname, different given name" (twins, family members) from "same
person, one typo". A CJK name written as one run of characters is split into its first character (the family
name) and the rest (the given name). Per token, all keys are truncated HMACs (``TOKEN_KEY_BYTES``) under the
tenant key:

- ``key``: the token itself (purpose ``name.token``);
- ``forms``: the token and, for a known short form, its formal given name (``name.form``): equal forms = same
  name or nickname of it;
- ``dels``: the token and every one-character deletion of it (``name.del``, never the empty string): two tokens
  share a deletion key exactly when they are within one insert / delete / substitute / adjacent transposition
  (CJK tokens: only the token itself - siblings often share one character of the given name);
- ``prefixes``: the token's prefixes of 3..6 characters shorter than the token (``name.token``, so a short token's
  ``key`` equals a long token's prefix: truncation short forms such as Barb / Barbara);
- ``phonetic``: the keyed phonetic code of the token (``name.phonetic``, as in ``name_phonetic``);
- ``fuzzy_forms``: formal names reachable from the token by one edit (``name.form``): the token is one typo away
  from a known short form or formal name (Miek / Mike -> Michael, Charls -> Charles); a weaker signal than
  ``forms``, the matcher grades it "similar" only.

Like any keyed encoding, these leak the number of tokens and (through the count of deletion keys) their lengths,
and equal keys across customers reveal equal tokens (frequency analysis within a tenant); without the key the
values themselves are not recoverable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from crs.domain.identity.kinds import IdentifierKind
from crs.domain.identity.normalize import (
    NICKNAMES,
    Address,
    IdentifierError,
    address_of,
    canonical_name,
    formal_given_name,
    has_check_digit,
    name_dob,
    normalize_bank_account,
    normalize_email,
    normalize_phone,
    parse_iso_date,
)
from crs.domain.identity.normalize import (
    normalize as normalize_identifier,
)

KEY_BYTES = 16  # truncated HMAC-SHA256 for equality keys: 128 bits, collision-free in practice
NAME_BLOOM_BITS = 1024
NAME_BLOOM_K = 16
ADDRESS_BLOOM_BITS = 1024
ADDRESS_BLOOM_K = 10
NATIONAL_ID_BLOOM_BITS = 512
NATIONAL_ID_BLOOM_K = 12
RECORD_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1 has no name tokens; the matcher then falls back to the whole-name Bloom
TOKEN_KEY_BYTES = 8  # per-token keys: 64 bits, collisions negligible within a tenant
TOKEN_PREFIX_MIN = 3
TOKEN_PREFIX_MAX = 6


class Keyer(Protocol):
    """Tenant-keyed PRF. `keyed` returns a 32-byte HMAC of (purpose, value); purposes separate domains."""

    def keyed(self, purpose: str, value: str) -> bytes: ...


class HmacKeyer:
    """HMAC-SHA256 keyer for tests and tools; the service uses its per-tenant key ring instead."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("HMAC key must be at least 16 bytes")
        self._key = key

    def keyed(self, purpose: str, value: str) -> bytes:
        p = purpose.encode()
        msg = struct.pack(">H", len(p)) + p + value.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, msg, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "HmacKeyer(<key>)"


def exact_key(keyer: Keyer, purpose: str, value: str) -> bytes:
    """Keyed exact fingerprint (truncated HMAC) of an already-canonical value."""
    return keyer.keyed(purpose, value)[:KEY_BYTES]


# --- Bloom filters ----------------------------------------------------------------------------------------------


def bigrams(text: str) -> set[str]:
    """Character bigrams of ``^text$`` (padding marks the first and last character)."""
    padded = f"^{text}$"
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


def bloom_encode(keyer: Keyer, purpose: str, text: str, *, bits: int = NAME_BLOOM_BITS, k: int = NAME_BLOOM_K) -> bytes:
    """Keyed Bloom filter of the bigrams of `text`: one HMAC per bigram, its 16-bit words give the k positions."""
    if bits & (bits - 1) or not 8 <= bits <= 65536:
        raise ValueError("bits must be a power of two between 8 and 65536")
    if not 1 <= k <= 16:
        raise ValueError("k must be 1..16 (positions are cut from one 32-byte HMAC)")
    mask = bits - 1
    acc = 0
    for gram in bigrams(text):
        words = struct.unpack(">16H", keyer.keyed(purpose, gram))
        for w in words[:k]:
            acc |= 1 << (w & mask)
    return acc.to_bytes(bits // 8, "big")


def dice_bits(a: int, b: int) -> float:
    """Dice coefficient of two Bloom filters held as ints; 0.0 when both are empty."""
    total = a.bit_count() + b.bit_count()
    return 2.0 * (a & b).bit_count() / total if total else 0.0


def dice(a: bytes, b: bytes) -> float:
    if len(a) != len(b):
        raise ValueError("Bloom filters of different sizes are not comparable")
    return dice_bits(int.from_bytes(a, "big"), int.from_bytes(b, "big"))


# --- phonetic codes ---------------------------------------------------------------------------------------------

_SOUND_CLASS = {c: d for letters, d in (("bfpv", "1"), ("cgjkqsxz", "2"), ("dt", "3"), ("l", "4"), ("mn", "5"), ("r", "6")) for c in letters}  # fmt: skip  # noqa: E501


def phonetic_code(token: str, length: int = 4) -> str:
    """A Soundex-style code of one canonical Latin token: first letter, then consonant classes.

    Adjacent letters of one class count once, vowels separate repeats, 'h' and 'w' do not. A token without
    Latin letters (CJK, digits) is its own code.
    """
    letters = [c for c in token if "a" <= c <= "z"]
    if not letters:
        return token
    out = [letters[0]]
    prev = _SOUND_CLASS.get(letters[0], "")
    for c in letters[1:]:
        if c in "hw":
            continue
        cls = _SOUND_CLASS.get(c, "")
        if cls and cls != prev:
            out.append(cls)
            if len(out) == length:
                break
        prev = cls
    return "".join(out).ljust(length, "0")


def _is_latin(token: str) -> bool:
    return any("a" <= c <= "z" for c in token)


def name_phonetic_codes(canon: str) -> set[str]:
    """Plain phonetic codes of a canonical name: one per Latin token (plus its formal form), one per CJK char."""
    codes: set[str] = set()
    for token in canon.split():
        if _is_latin(token):
            codes.add(phonetic_code(token))
            formal = formal_given_name(token)
            if formal is not None:
                codes.add(phonetic_code(formal))
        else:
            codes.update(token)
    return codes


def keyed_phonetic_codes(keyer: Keyer, canon: str) -> frozenset[bytes]:
    return frozenset(exact_key(keyer, "name.phonetic", c) for c in name_phonetic_codes(canon))


# --- name tokens -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameToken:
    """Keyed encodings of one name token (see the module docstring)."""

    key: bytes
    forms: frozenset[bytes]
    dels: frozenset[bytes]
    prefixes: frozenset[bytes]
    phonetic: bytes
    fuzzy_forms: frozenset[bytes] = frozenset()


def _is_cjk_run(token: str) -> bool:
    return all("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in token)


def name_tokens(canon: str) -> list[str]:
    """Canonical name tokens; a run of CJK characters is split into family name (first char) and given name."""
    out: list[str] = []
    for token in canon.split():
        if len(token) >= 2 and _is_cjk_run(token):
            out += [token[0], token[1:]]
        else:
            out.append(token)
    return out


_FORMAL_NAMES = frozenset(NICKNAMES.values())


def _deletes(word: str) -> set[str]:
    """`word` and every string one deletion away from it."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _near_index(words: frozenset[str]) -> dict[str, frozenset[str]]:
    """Symmetric-delete index: each deletion variant of a dictionary word -> the words it comes from. Two strings
    one insert, delete, substitution or adjacent transposition apart share a deletion variant (or one is the other's),
    so a token's own deletion variants find every dictionary word one edit away (and a few two edits away, which
    ``_one_edit_apart`` rejects)."""
    if not all(w.isascii() and w.isalpha() and w.islower() for w in words):
        raise ValueError("the name dictionary holds lower-case a-z words only")
    near: dict[str, set[str]] = {}
    for w in words:
        for d in _deletes(w):
            near.setdefault(d, set()).add(w)
    return {d: frozenset(ws) for d, ws in near.items()}


_NEAR = _near_index(frozenset(NICKNAMES) | _FORMAL_NAMES)


def _one_edit_apart(token: str, word: str) -> bool:
    """`word` is one insert / delete / substitution / adjacent transposition away from `token` (and not equal).
    `word` is a dictionary word (a-z), so an inserted or substituted letter is always one of a-z."""
    if token == word:
        return False
    n, m = len(token), len(word)
    i = 0
    while i < min(n, m) and token[i] == word[i]:
        i += 1
    if n == m:  # substitution at i, or the transposition of i and i+1
        if token[i + 1 :] == word[i + 1 :]:
            return True
        return i + 1 < n and token[i] == word[i + 1] and token[i + 1] == word[i] and token[i + 2 :] == word[i + 2 :]
    if n == m + 1:  # `word` is `token` with the letter at i deleted
        return token[i + 1 :] == word[i:]
    if m == n + 1:  # `word` is `token` with a letter inserted at i
        return word[i + 1 :] == token[i:]
    return False


def fuzzy_formal_names(token: str) -> set[str]:
    """Formal given names one edit away from `token` or from the formal form of a short name one edit away.

    The same set as trying every one-edit variant of `token` (about 54 per letter) against the dictionary, found
    through the dictionary's deletion index instead: a customer's name tokens are encoded on every create and
    update, and the variants cost most of that (tests/property/test_identity_fuzzy.py holds the two equal)."""
    if not token.isascii() or not token.isalpha() or len(token) > 20:
        return set()
    out: set[str] = set()
    for d in _deletes(token):
        for word in _NEAR.get(d, ()):
            if _one_edit_apart(token, word):
                if word in _FORMAL_NAMES:
                    out.add(word)
                formal = formal_given_name(word)
                if formal is not None:
                    out.add(formal)
    return out - {token, formal_given_name(token)}


def _token_key(keyer: Keyer, purpose: str, value: str) -> bytes:
    return keyer.keyed(purpose, value)[:TOKEN_KEY_BYTES]


def encode_name_token(keyer: Keyer, token: str) -> NameToken:
    forms = {token}
    formal = formal_given_name(token)
    if formal is not None:
        forms.add(formal)
    if _is_cjk_run(token):
        # A CJK character is a morpheme, not a letter: siblings often share one character of the given name
        # (generation name), so a one-character difference is not a typo signal. Only the token itself.
        dels = {token}
        prefixes: set[str] = set()
    else:
        dels = {token} | {token[:i] + token[i + 1 :] for i in range(len(token))}
        dels.discard("")
        prefixes = {token[:n] for n in range(TOKEN_PREFIX_MIN, min(len(token) - 1, TOKEN_PREFIX_MAX) + 1)}
    code = phonetic_code(token) if _is_latin(token) else token
    return NameToken(
        key=_token_key(keyer, "name.token", token),
        forms=frozenset(_token_key(keyer, "name.form", f) for f in forms),
        dels=frozenset(_token_key(keyer, "name.del", x) for x in dels),
        prefixes=frozenset(_token_key(keyer, "name.token", x) for x in prefixes),
        phonetic=exact_key(keyer, "name.phonetic", code),
        fuzzy_forms=frozenset(_token_key(keyer, "name.form", f) for f in fuzzy_formal_names(token)),
    )


# --- dates ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DateKeys:
    full: bytes
    y: bytes
    ym: bytes
    yd: bytes
    md: bytes
    near: frozenset[bytes]


def _full(keyer: Keyer, y: int, m: int, d: int) -> bytes:
    return exact_key(keyer, "dob.full", f"{y:04d}-{m:02d}-{d:02d}")


def _valid_day(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def date_keys(keyer: Keyer, d: date) -> DateKeys:
    near: set[bytes] = set()
    if d.day <= 12 and d.day != d.month:
        near.add(_full(keyer, d.year, d.day, d.month))
    for y in (d.year - 1, d.year + 1):
        if 1 <= y <= 9999:
            near.add(_full(keyer, y, d.month, d.day))
    for day in (d.day - 1, d.day + 1):
        if 1 <= day <= 28 or _valid_day(d.year, d.month, day):
            near.add(_full(keyer, d.year, d.month, day))
    return DateKeys(
        full=_full(keyer, d.year, d.month, d.day),
        y=exact_key(keyer, "dob.y", f"{d.year:04d}"),
        ym=exact_key(keyer, "dob.ym", f"{d.year:04d}-{d.month:02d}"),
        yd=exact_key(keyer, "dob.yd", f"{d.year:04d}-{d.day:02d}"),
        md=exact_key(keyer, "dob.md", f"{d.month:02d}-{d.day:02d}"),
        near=frozenset(near),
    )


# --- the record -------------------------------------------------------------------------------------------------


def _bits(blooms: tuple[bytes, ...]) -> tuple[int, ...]:
    return tuple(int.from_bytes(b, "big") for b in blooms)


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """Keyed matching material of one customer. Holds no plain identifier; safe to store next to the customer.

    Bloom filters are also cached as ints (``*_bits``, not serialized) so that scoring does no conversion.
    """

    name_bloom: bytes = b""
    name_tokens: tuple[NameToken, ...] = ()
    name_phonetic: frozenset[bytes] = frozenset()
    name_dob: bytes = b""
    dob: DateKeys | None = None
    emails: frozenset[bytes] = frozenset()
    email_locals: frozenset[bytes] = frozenset()
    phones: frozenset[bytes] = frozenset()
    national_ids: frozenset[bytes] = frozenset()
    national_id_blooms: tuple[bytes, ...] = ()  # only ids without a check digit: typos in the others are rejected
    address_blooms: tuple[bytes, ...] = ()
    postal_codes: frozenset[bytes] = frozenset()
    strong: frozenset[bytes] = frozenset()  # bank accounts and card fingerprints
    name_bits: int = field(init=False, repr=False, compare=False, default=0)
    national_id_bits: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())
    address_bits: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "name_bits", int.from_bytes(self.name_bloom, "big"))
        object.__setattr__(self, "national_id_bits", _bits(self.national_id_blooms))
        object.__setattr__(self, "address_bits", _bits(self.address_blooms))

    def to_json(self) -> str:
        def b(x: bytes) -> str:
            return base64.b64encode(x).decode("ascii")

        def bs(xs: Iterable[bytes]) -> list[str]:
            return sorted(b(x) for x in xs)

        doc: dict[str, Any] = {"v": RECORD_VERSION}
        if self.name_bloom:
            doc["nb"] = b(self.name_bloom)
        if self.name_phonetic:
            doc["np"] = bs(self.name_phonetic)
        if self.name_tokens:
            doc["nt"] = [
                [b(t.key), bs(t.forms), bs(t.dels), bs(t.prefixes), b(t.phonetic), bs(t.fuzzy_forms)]
                for t in self.name_tokens
            ]
        if self.name_dob:
            doc["nd"] = b(self.name_dob)
        if self.dob is not None:
            d = self.dob
            doc["d"] = [b(d.full), b(d.y), b(d.ym), b(d.yd), b(d.md), bs(d.near)]
        for key, values in (
            ("e", self.emails),
            ("el", self.email_locals),
            ("p", self.phones),
            ("i", self.national_ids),
            ("pc", self.postal_codes),
            ("s", self.strong),
        ):
            if values:
                doc[key] = bs(values)
        if self.national_id_blooms:
            doc["ib"] = [b(x) for x in self.national_id_blooms]
        if self.address_blooms:
            doc["ab"] = [b(x) for x in self.address_blooms]
        return json.dumps(doc, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MatchRecord:
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict) or doc.get("v") not in READABLE_VERSIONS:
                raise ValueError(f"unsupported match record version (readable: {READABLE_VERSIONS})")

            def b(x: Any) -> bytes:
                if not isinstance(x, str):
                    raise ValueError("match record field is not a base64 string")
                return base64.b64decode(x, validate=True)

            def bset(key: str) -> frozenset[bytes]:
                return frozenset(b(x) for x in doc.get(key, []))

            dob = None
            if "d" in doc:
                full, y, ym, yd, md, near = doc["d"]
                dob = DateKeys(b(full), b(y), b(ym), b(yd), b(md), frozenset(b(x) for x in near))
            return cls(
                name_bloom=b(doc["nb"]) if "nb" in doc else b"",
                name_tokens=tuple(
                    NameToken(
                        b(key),
                        frozenset(b(x) for x in forms),
                        frozenset(b(x) for x in dels),
                        frozenset(b(x) for x in prefixes),
                        b(phon),
                        frozenset(b(x) for x in fuzzy),
                    )
                    for key, forms, dels, prefixes, phon, fuzzy in doc.get("nt", [])
                ),
                name_phonetic=bset("np"),
                name_dob=b(doc["nd"]) if "nd" in doc else b"",
                dob=dob,
                emails=bset("e"),
                email_locals=bset("el"),
                phones=bset("p"),
                national_ids=bset("i"),
                national_id_blooms=tuple(b(x) for x in doc.get("ib", [])),
                address_blooms=tuple(b(x) for x in doc.get("ab", [])),
                postal_codes=bset("pc"),
                strong=bset("s"),
            )
        except (KeyError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
            raise ValueError("malformed match record") from exc


def name_bloom_text(canon: str) -> str:
    """Tokens in sorted order, so 'Zhang Wei' and 'Wei Zhang' encode alike (name order varies by culture)."""
    return " ".join(sorted(canon.split()))


def email_local_for_matching(normalized: str) -> str:
    """Local part without dots and +tags, for the cross-provider 'same mailbox name' comparison."""
    return normalized.rpartition("@")[0].split("+", 1)[0].replace(".", "")


def _try(fn: Any, *args: Any, strict: bool) -> Any:
    try:
        return fn(*args)
    except IdentifierError:
        if strict:
            raise
        return None


def build_match_record(
    keyer: Keyer,
    *,
    name: str | None = None,
    dob: date | str | None = None,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    national_ids: Iterable[str] = (),
    addresses: Iterable[Address] = (),
    bank_accounts: Iterable[str] = (),
    card_fingerprints: Iterable[str] = (),
    default_region: str | None = None,
    strict: bool = False,
) -> MatchRecord:
    """Normalize raw customer data and keep only its keyed encodings.

    National ids are ``CC:TYPE:VALUE``; phones without '+' use `default_region`. Invalid identifiers are skipped
    (a customer record is matched on what is usable) unless `strict`, which raises `IdentifierError`.
    """
    canon = _try(canonical_name, name, strict=strict) if name else None
    birth: date | None = _try(parse_iso_date, dob, strict=strict) if isinstance(dob, str) else dob

    email_norm = {e for e in (_try(normalize_email, x, strict=strict) for x in emails) if e}
    phone_norm = {p for p in (_try(normalize_phone, x, default_region, strict=strict) for x in phones) if p}
    nid_norm = {
        n for n in (_try(normalize_identifier, IdentifierKind.NATIONAL_ID, x, strict=strict) for x in national_ids) if n
    }
    addr_norm = [a for a in (_try(address_of, x, strict=strict) for x in addresses) if a]
    bank_norm = {a for a in (_try(normalize_bank_account, x, strict=strict) for x in bank_accounts) if a}
    card_norm = {
        c
        for c in (
            _try(normalize_identifier, IdentifierKind.CARD_FINGERPRINT, x, strict=strict) for x in card_fingerprints
        )
        if c
    }

    addr_blooms: list[bytes] = []
    postal: set[bytes] = set()
    for a in dict.fromkeys(addr_norm):
        street, locality, code, country = a.split("|")
        addr_blooms.append(
            bloom_encode(keyer, "address.bloom", f"{street} {locality}", bits=ADDRESS_BLOOM_BITS, k=ADDRESS_BLOOM_K)
        )
        if code:
            postal.add(exact_key(keyer, "address.postal", f"{country}:{code}"))

    return MatchRecord(
        name_bloom=bloom_encode(keyer, "name.bloom", name_bloom_text(canon)) if canon else b"",
        name_tokens=tuple(encode_name_token(keyer, t) for t in name_tokens(canon)) if canon else (),
        name_phonetic=keyed_phonetic_codes(keyer, canon) if canon else frozenset(),
        name_dob=exact_key(keyer, "name_dob", name_dob(canon, birth)) if canon and birth else b"",
        dob=date_keys(keyer, birth) if birth else None,
        emails=frozenset(exact_key(keyer, "email", e) for e in email_norm),
        email_locals=frozenset(exact_key(keyer, "email.local", email_local_for_matching(e)) for e in email_norm),
        phones=frozenset(exact_key(keyer, "phone", p) for p in phone_norm),
        national_ids=frozenset(exact_key(keyer, "national_id", n) for n in nid_norm),
        national_id_blooms=tuple(
            bloom_encode(
                keyer, "national_id.bloom", n.rpartition(":")[2], bits=NATIONAL_ID_BLOOM_BITS, k=NATIONAL_ID_BLOOM_K
            )
            for n in sorted(nid_norm)
            if not has_check_digit(n[:2])
        ),
        address_blooms=tuple(addr_blooms),
        postal_codes=frozenset(postal),
        strong=frozenset(
            [exact_key(keyer, "bank_account", a) for a in bank_norm] + [exact_key(keyer, "card", c) for c in card_norm]
        ),
    )
