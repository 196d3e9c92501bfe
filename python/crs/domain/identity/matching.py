"""Fellegi-Sunter record linkage over keyed `MatchRecord`s.

Flow in the service: store each customer's `MatchRecord` and its `blocking_keys`; on a create/update, fetch the
customers sharing any blocking key, `score` the new record against each candidate only, and link when the weight
reaches `MatchModel.threshold` (and/or when `exact_rules_link` holds). The model (m/u probabilities per field level)
is estimated without labels by `estimate` (EM) on candidate pairs and stored as JSON per tenant.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crs.domain.identity.encoding import (
    NATIONAL_ID_BLOOM_BITS,
    NATIONAL_ID_BLOOM_K,
    MatchRecord,
    dice_bits,
)

MISSING = "missing"
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "high", "medium", "different"),
    "dob": ("exact", "near", "partial", "different"),
    "email": ("exact", "local", "different"),
    "phone": ("exact", "different"),
    "national_id": ("exact", "high", "medium", "different"),
    "address": ("exact", "high", "medium", "different"),
    "strong": ("exact", "different"),
}
FIELDS: tuple[str, ...] = tuple(LEVELS)

# Name: Dice of the keyed bigram Bloom filters (plus phonetic-code containment for nicknames / sound-alike typos).
NAME_HIGH = 0.80
NAME_PHONETIC_HIGH = 0.55
NAME_MEDIUM = 0.60
# Address: Dice of street+locality Bloom filters, and the keyed postal code.
ADDRESS_EXACT = 0.95
ADDRESS_HIGH = 0.80
ADDRESS_MEDIUM = 0.60
# National id: estimated number of bigrams in one id but not the other (from the Bloom fill; see _bigram_count).
# One substituted digit differs in 4 bigrams, one adjacent transposition in 6; twins' ids (same birth-date prefix,
# another serial and check digit) in 8-10.
NATIONAL_ID_HIGH_SYMDIFF = 6.5
NATIONAL_ID_MEDIUM_SYMDIFF = 12.5


def _bigram_count_table(bits: int, k: int) -> tuple[float, ...]:
    """Estimated number of distinct bigrams in a Bloom filter with X bits set: -(m/k) ln(1 - X/m)."""
    table = [-(bits / k) * math.log(1.0 - x / bits) for x in range(bits)]
    table.append(table[-1] + bits / k)  # a full filter: saturate
    return tuple(table)


_NID_COUNT = _bigram_count_table(NATIONAL_ID_BLOOM_BITS, NATIONAL_ID_BLOOM_K)


def _name_level(a: MatchRecord, b: MatchRecord) -> str:
    if not a.name_bits or not b.name_bits:
        return MISSING
    if a.name_bits == b.name_bits:
        return "exact"
    d = dice_bits(a.name_bits, b.name_bits)
    if d >= NAME_HIGH:
        return "high"
    pa, pb = a.name_phonetic, b.name_phonetic
    if d >= NAME_PHONETIC_HIGH and (pa <= pb or pb <= pa):
        return "high"
    if d >= NAME_MEDIUM:
        return "medium"
    return "different"


def _dob_level(a: MatchRecord, b: MatchRecord) -> str:
    da, db = a.dob, b.dob
    if da is None or db is None:
        return MISSING
    if da.full == db.full:
        return "exact"
    if da.full in db.near or db.full in da.near:
        return "near"
    if da.ym == db.ym or da.yd == db.yd or da.md == db.md:
        return "partial"
    return "different"


def _email_level(a: MatchRecord, b: MatchRecord) -> str:
    if not a.emails or not b.emails:
        return MISSING
    if not a.emails.isdisjoint(b.emails):
        return "exact"
    if not a.email_locals.isdisjoint(b.email_locals):
        return "local"
    return "different"


def _phone_level(a: MatchRecord, b: MatchRecord) -> str:
    if not a.phones or not b.phones:
        return MISSING
    return "different" if a.phones.isdisjoint(b.phones) else "exact"


def _national_id_level(a: MatchRecord, b: MatchRecord) -> str:
    if not a.national_ids or not b.national_ids:
        return MISSING
    if not a.national_ids.isdisjoint(b.national_ids):
        return "exact"
    best = math.inf
    for x in a.national_id_bits:
        nx = _NID_COUNT[x.bit_count()]
        for y in b.national_id_bits:
            symdiff = 2.0 * _NID_COUNT[(x | y).bit_count()] - nx - _NID_COUNT[y.bit_count()]
            best = min(best, symdiff)
    if best <= NATIONAL_ID_HIGH_SYMDIFF:
        return "high"
    if best <= NATIONAL_ID_MEDIUM_SYMDIFF:
        return "medium"
    return "different"


def _address_level(a: MatchRecord, b: MatchRecord) -> str:
    if not (a.address_bits or a.postal_codes) or not (b.address_bits or b.postal_codes):
        return MISSING
    best = 0.0
    for x in a.address_bits:
        for y in b.address_bits:
            d = 1.0 if x == y else dice_bits(x, y)
            best = max(best, d)
    postal = not a.postal_codes.isdisjoint(b.postal_codes)
    if best >= ADDRESS_EXACT:
        return "exact"
    if best >= ADDRESS_HIGH or (best >= ADDRESS_MEDIUM and postal):
        return "high"
    if best >= ADDRESS_MEDIUM or postal:
        return "medium"
    return "different"


def _strong_level(a: MatchRecord, b: MatchRecord) -> str:
    if not a.strong or not b.strong:
        return MISSING
    return "different" if a.strong.isdisjoint(b.strong) else "exact"


def compare(a: MatchRecord, b: MatchRecord) -> dict[str, str]:
    """The comparison vector: one level per field (see `LEVELS`), or "missing" when either side lacks it."""
    return {
        "name": _name_level(a, b),
        "dob": _dob_level(a, b),
        "email": _email_level(a, b),
        "phone": _phone_level(a, b),
        "national_id": _national_id_level(a, b),
        "address": _address_level(a, b),
        "strong": _strong_level(a, b),
    }


# --- blocking ---------------------------------------------------------------------------------------------------


def _block(tag: bytes, *parts: bytes) -> str:
    h = hashlib.blake2b(tag, digest_size=12)
    for p in parts:
        h.update(p)
    return h.hexdigest()


def blocking_keys(record: MatchRecord) -> set[str]:
    """Hex keys of independent blocking passes; two records are candidates when they share any key.

    Passes: national id; bank/card; e-mail; phone; phonetic name token + birth year; phonetic name token +
    birth month/day (catches a wrong year); postal code + phonetic name token (catches a missing or wrong date).
    Derived only from keyed material, so the keys are as safe to store as the record itself.
    """
    keys = {_block(b"nid", k) for k in record.national_ids}
    keys.update(_block(b"strong", k) for k in record.strong)
    keys.update(_block(b"email", k) for k in record.emails)
    keys.update(_block(b"phone", k) for k in record.phones)
    if record.dob is not None:
        keys.update(_block(b"name_y", p, record.dob.y) for p in record.name_phonetic)
        keys.update(_block(b"name_md", p, record.dob.md) for p in record.name_phonetic)
    for pc in record.postal_codes:
        keys.update(_block(b"postal_name", pc, p) for p in record.name_phonetic)
    return keys


def exact_rules_link(a: MatchRecord, b: MatchRecord) -> bool:
    """Deterministic baseline: a shared strong identifier, or at least two of e-mail / phone / name+dob equal."""
    if not a.national_ids.isdisjoint(b.national_ids) or not a.strong.isdisjoint(b.strong):
        return True
    weak = (
        (not a.emails.isdisjoint(b.emails))
        + (not a.phones.isdisjoint(b.phones))
        + (bool(a.name_dob) and a.name_dob == b.name_dob)
    )
    return weak >= 2


# --- the model --------------------------------------------------------------------------------------------------

PROB_MIN = 1e-6


def _clamp_normalize(probs: Mapping[str, float]) -> dict[str, float]:
    clamped = {k: min(max(v, PROB_MIN), 1.0 - PROB_MIN) for k, v in probs.items()}
    total = sum(clamped.values())
    return {k: v / total for k, v in clamped.items()}


@dataclass(frozen=True, slots=True)
class MatchModel:
    """Fellegi-Sunter parameters. `m[f][l]` = P(level l | match), `u[f][l]` = P(level l | non-match) over the
    non-missing levels of field f; `prior` = P(match) among candidate pairs; `threshold` in log2 weight units."""

    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    prior: float
    threshold: float

    def weights(self) -> dict[str, dict[str, float]]:
        """log2(m/u) per field level; "missing" weighs 0."""
        out: dict[str, dict[str, float]] = {}
        for f, levels in LEVELS.items():
            out[f] = {lv: math.log2(self.m[f][lv] / self.u[f][lv]) for lv in levels}
            out[f][MISSING] = 0.0
        return out

    def posterior(self, weight: float) -> float:
        """P(match | comparison vector) for a pair with this total weight."""
        odds = self.prior / (1.0 - self.prior) * 2.0**weight
        return odds / (1.0 + odds) if math.isfinite(odds) else 1.0

    def with_posterior_threshold(self, p: float) -> MatchModel:
        """The same model with `threshold` = the weight at which `posterior` reaches p."""
        t = math.log2(p / (1.0 - p)) + math.log2((1.0 - self.prior) / self.prior)
        return MatchModel(self.m, self.u, self.prior, t)

    def to_json(self) -> str:
        return json.dumps(
            {"v": 1, "m": self.m, "u": self.u, "prior": self.prior, "threshold": self.threshold},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        doc: Any = json.loads(text)
        if not isinstance(doc, dict) or doc.get("v") != 1:
            raise ValueError("unsupported match model version")
        model = cls(
            m={f: {lv: float(doc["m"][f][lv]) for lv in LEVELS[f]} for f in FIELDS},
            u={f: {lv: float(doc["u"][f][lv]) for lv in LEVELS[f]} for f in FIELDS},
            prior=float(doc["prior"]),
            threshold=float(doc["threshold"]),
        )
        for f in FIELDS:
            for table in (model.m[f], model.u[f]):
                if any(not 0.0 < v < 1.0 for v in table.values()):
                    raise ValueError("match model probabilities must be in (0, 1)")
        if not 0.0 < model.prior < 1.0:
            raise ValueError("match model prior must be in (0, 1)")
        return model


# Starting point for EM: exact agreement far likelier among matches; the data decides the rest.
DEFAULT_M: dict[str, dict[str, float]] = {
    "name": {"exact": 0.70, "high": 0.15, "medium": 0.10, "different": 0.05},
    "dob": {"exact": 0.85, "near": 0.05, "partial": 0.05, "different": 0.05},
    "email": {"exact": 0.60, "local": 0.15, "different": 0.25},
    "phone": {"exact": 0.80, "different": 0.20},
    "national_id": {"exact": 0.90, "high": 0.04, "medium": 0.03, "different": 0.03},
    "address": {"exact": 0.60, "high": 0.20, "medium": 0.10, "different": 0.10},
    "strong": {"exact": 0.80, "different": 0.20},
}
DEFAULT_U: dict[str, dict[str, float]] = {
    "name": {"exact": 0.02, "high": 0.03, "medium": 0.15, "different": 0.80},
    "dob": {"exact": 0.02, "near": 0.01, "partial": 0.10, "different": 0.87},
    "email": {"exact": 0.01, "local": 0.01, "different": 0.98},
    "phone": {"exact": 0.05, "different": 0.95},
    "national_id": {"exact": 0.001, "high": 0.01, "medium": 0.05, "different": 0.939},
    "address": {"exact": 0.05, "high": 0.05, "medium": 0.20, "different": 0.70},
    "strong": {"exact": 0.01, "different": 0.99},
}
DEFAULT_POSTERIOR = 0.99


def default_model(prior: float = 0.05) -> MatchModel:
    return MatchModel(DEFAULT_M, DEFAULT_U, prior, 0.0).with_posterior_threshold(DEFAULT_POSTERIOR)


def score(model: MatchModel, a: MatchRecord, b: MatchRecord) -> tuple[float, dict[str, str]]:
    """Total log2 match weight of the pair and its comparison vector."""
    table = _weight_table(model)
    levels = compare(a, b)
    return sum(table[f][lv] for f, lv in levels.items()), levels


_WEIGHTS_CACHE: dict[int, tuple[MatchModel, dict[str, dict[str, float]]]] = {}


def _weight_table(model: MatchModel) -> dict[str, dict[str, float]]:
    hit = _WEIGHTS_CACHE.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    table = model.weights()
    if len(_WEIGHTS_CACHE) > 64:
        _WEIGHTS_CACHE.clear()
    _WEIGHTS_CACHE[id(model)] = (model, table)
    return table


def estimate(
    pairs_vectors: Iterable[Mapping[str, str]],
    *,
    iterations: int = 100,
    initial: MatchModel | None = None,
    posterior: float = DEFAULT_POSTERIOR,
    tolerance: float = 1e-7,
) -> MatchModel:
    """Unsupervised Fellegi-Sunter EM (conditional independence; missing levels skipped).

    Works on the distinct comparison patterns with their counts, so the cost per iteration is independent of the
    number of pairs. Probabilities are clamped to [1e-6, 1 - 1e-6]. The returned model's threshold is the weight
    at which the posterior match probability reaches `posterior`.
    """
    patterns = Counter(tuple(v.get(f, MISSING) for f in FIELDS) for v in pairs_vectors)
    if not patterns:
        raise ValueError("no comparison vectors to estimate from")
    model = initial or default_model()
    m = {f: dict(model.m[f]) for f in FIELDS}
    u = {f: dict(model.u[f]) for f in FIELDS}
    prior = model.prior
    items = list(patterns.items())
    total = float(sum(patterns.values()))
    for _ in range(iterations):
        m_acc = {f: dict.fromkeys(LEVELS[f], 0.0) for f in FIELDS}
        u_acc = {f: dict.fromkeys(LEVELS[f], 0.0) for f in FIELDS}
        matched = 0.0
        log_prior_odds = math.log(prior / (1.0 - prior))
        for pattern, count in items:
            llr = log_prior_odds
            for f, lv in zip(FIELDS, pattern, strict=True):
                if lv != MISSING:
                    llr += math.log(m[f][lv] / u[f][lv])
            g = 1.0 / (1.0 + math.exp(-llr)) if llr > -700 else 0.0
            matched += g * count
            for f, lv in zip(FIELDS, pattern, strict=True):
                if lv != MISSING:
                    m_acc[f][lv] += g * count
                    u_acc[f][lv] += (1.0 - g) * count
        new_m = {f: _clamp_normalize(_normalized(m_acc[f])) for f in FIELDS}
        new_u = {f: _clamp_normalize(_normalized(u_acc[f])) for f in FIELDS}
        new_prior = min(max(matched / total, PROB_MIN), 1.0 - PROB_MIN)
        delta = max(
            abs(new_prior - prior),
            *(abs(new_m[f][lv] - m[f][lv]) for f in FIELDS for lv in LEVELS[f]),
            *(abs(new_u[f][lv] - u[f][lv]) for f in FIELDS for lv in LEVELS[f]),
        )
        m, u, prior = new_m, new_u, new_prior
        if delta < tolerance:
            break
    return MatchModel(m, u, prior, 0.0).with_posterior_threshold(posterior)


def _normalized(acc: Mapping[str, float]) -> dict[str, float]:
    total = sum(acc.values())
    if total <= 0.0:
        return {k: 1.0 / len(acc) for k in acc}
    return {k: v / total for k, v in acc.items()}
