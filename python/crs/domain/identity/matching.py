"""Fellegi-Sunter record linkage over keyed `MatchRecord`s, with a household class and hard guards.

Flow in the service: store each customer's `MatchRecord` and its `blocking_keys`; on a create/update, fetch the
customers sharing any blocking key and call ``decide(model, new, candidate)`` for each candidate only; link when
it returns True. ``score`` gives the weight alone. The model is estimated without labels by `estimate` (EM) on
candidate pairs and stored as JSON per tenant; a tenant without one uses `default_model()` (conservative priors).

Model. Three latent classes of candidate pairs instead of two: M (same person), H (a different person of the same
household: twin, spouse, parent, child - they share address, home phone, surname, sometimes a family e-mail or
bank account, twins also the birth date) and U (unrelated). Within each class the fields are taken as independent
(Fellegi-Sunter); the household class absorbs the dependence between address, phone and surname that makes a
two-class model put households into the match class. The weight is ``log2 P(vector | M) / P(vector | not M)``
with ``not M`` the H/U mixture, so ``posterior(weight)`` is P(M | vector) and the threshold is a posterior
(0.99 by default), never fitted to labels. A model without ``h`` is a classic two-class model.

Names are compared token by token (see `encoding.NameToken`), tokens aligned greedily: "exact" (same tokens, any
order), "alias" (every token the same or a known nickname of it), "close" (every token the same, a nickname, or
one typo away; or an extra middle name), "similar" (some token only sounds alike, is a truncation, or is a typo of
a nickname), "partial" (one token agrees - exactly, one typo or a nickname - while another has no counterpart at
all: the twin / family-member pattern, same surname and another given name) and "different".

Hard guards in `decide` (stated rules, not fitted; they only ever veto a link):

G1 name conflict: when the names conflict (level "partial" or "different": some token of one name has no
   counterpart in the other), link only if a person-unique identifier agrees exactly (national id, bank account
   or card; a national id one typo away does not count: consecutive serials of twins look like one). Everything
   else two records can share - address, phone, e-mail, surname, even the birth date - is shared by household
   members and twins, and a different given name is direct evidence of a different person.
G2 birth-date conflict: when both birth dates are known and differ in more than one typo-like way (level
   "different": no day/month swap, year +-1, day +-1, and no two of year/month/day equal), link only if a
   person-unique identifier agrees. Same name + same household + different birth date is the parent/child
   (Jr./Sr.) pattern.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from crs.domain.identity.encoding import (
    NATIONAL_ID_BLOOM_BITS,
    NATIONAL_ID_BLOOM_K,
    MatchRecord,
    NameToken,
    dice_bits,
)

MISSING = "missing"
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "alias", "close", "similar", "partial", "different"),
    "dob": ("exact", "near", "partial", "different"),
    "email": ("exact", "local", "different"),
    "phone": ("exact", "different"),
    "national_id": ("exact", "high", "medium", "different"),
    "address": ("exact", "high", "medium", "different"),
    "strong": ("exact", "different"),
}
FIELDS: tuple[str, ...] = tuple(LEVELS)

# Name, version-1 records only: Dice of the keyed bigram Bloom filters (plus phonetic-code containment).
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


def _token_rank(x: NameToken, y: NameToken) -> float:
    """3 same token; 2.5 nickname-equivalent; 2 one typo apart; 1 same sound, one a truncation of the other, or a
    typo of a nickname / formal name of the other; 0 otherwise."""
    if x.key == y.key:
        return 3
    if not x.forms.isdisjoint(y.forms):
        return 2.5
    if not x.dels.isdisjoint(y.dels):
        return 2
    if x.phonetic == y.phonetic or x.key in y.prefixes or y.key in x.prefixes:
        return 1
    if not x.fuzzy_forms.isdisjoint(y.forms) or not y.fuzzy_forms.isdisjoint(x.forms):
        return 1
    return 0


def _name_level_tokens(ta: tuple[NameToken, ...], tb: tuple[NameToken, ...]) -> str:
    """Align tokens greedily by rank (names have 1-4 tokens); grade by the weakest and the strongest aligned pair."""
    if len(ta) == 1 and len(tb) == 1:
        r = _token_rank(ta[0], tb[0])
        return "alias" if r == 2.5 else ("different", "similar", "close", "exact")[int(r)]
    ranked = sorted(((_token_rank(x, y), i, j) for i, x in enumerate(ta) for j, y in enumerate(tb)), reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    ranks: list[float] = []
    for r, i, j in ranked:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            ranks.append(r)
    lo, hi = min(ranks), max(ranks)
    if lo == 3:
        return "exact" if len(ta) == len(tb) else "close"
    if lo == 2.5:
        return "alias"
    if lo == 2:
        return "close"
    if lo == 1:
        return "similar"
    return "partial" if hi >= 2 else "different"


def _name_level(a: MatchRecord, b: MatchRecord) -> str:
    if a.name_tokens and b.name_tokens:
        return _name_level_tokens(a.name_tokens, b.name_tokens)
    # Version-1 records (no tokens): the whole-name Bloom filter, mapped onto the token levels.
    if not a.name_bits or not b.name_bits:
        return MISSING
    if a.name_bits == b.name_bits:
        return "exact"
    d = dice_bits(a.name_bits, b.name_bits)
    if d >= NAME_HIGH:
        return "close"
    pa, pb = a.name_phonetic, b.name_phonetic
    if d >= NAME_PHONETIC_HIGH and (pa <= pb or pb <= pa):
        return "close"
    if d >= NAME_MEDIUM:
        return "similar"
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
MODEL_VERSION = 2


def _clamp_normalize(probs: Mapping[str, float]) -> dict[str, float]:
    clamped = {k: min(max(v, PROB_MIN), 1.0 - PROB_MIN) for k, v in probs.items()}
    total = sum(clamped.values())
    return {k: v / total for k, v in clamped.items()}


def _check_table(t: Mapping[str, Mapping[str, float]]) -> None:
    for f in FIELDS:
        if any(not 0.0 < v < 1.0 for v in t[f].values()):
            raise ValueError("match model probabilities must be in (0, 1)")


@dataclass(frozen=True, slots=True)
class MatchModel:
    """Fellegi-Sunter parameters. `m[f][l]` = P(level l | match), `u[f][l]` = P(level l | unrelated) and, when
    present, `h[f][l]` = P(level l | other person of the same household), over the non-missing levels of field f.
    `prior` = P(match) and `h_prior` = P(household) among candidate pairs; `threshold` in log2 weight units (the
    weight is log2 P(vector | match) / P(vector | not match), not-match being the household/unrelated mixture)."""

    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    prior: float
    threshold: float
    h: dict[str, dict[str, float]] | None = None
    h_prior: float = 0.0
    name_counts: dict[bytes, int] | None = None  # keyed name token -> number of records carrying it (tenant)
    name_total: int = 0  # records with a name when the counts were taken
    name_ref: float = 0.0  # log2 of the person-average name frequency (see with_name_frequencies)

    def weights(self) -> dict[str, dict[str, float]]:
        """log2(m/u) per field level (match vs unrelated; additive only without a household class); missing = 0."""
        out: dict[str, dict[str, float]] = {}
        for f, levels in LEVELS.items():
            out[f] = {lv: math.log2(self.m[f][lv] / self.u[f][lv]) for lv in levels}
            out[f][MISSING] = 0.0
        return out

    def household_weights(self) -> dict[str, dict[str, float]]:
        """log2(m/h) per field level: how much each level separates the person from a household member."""
        if self.h is None:
            return {}
        return {f: {lv: math.log2(self.m[f][lv] / self.h[f][lv]) for lv in LEVELS[f]} for f in FIELDS}

    def posterior(self, weight: float) -> float:
        """P(match | comparison vector) for a pair with this total weight."""
        odds = self.prior / (1.0 - self.prior) * 2.0**weight
        return odds / (1.0 + odds) if math.isfinite(odds) else 1.0

    def with_posterior_threshold(self, p: float) -> MatchModel:
        """The same model with `threshold` = the weight at which `posterior` reaches p."""
        t = math.log2(p / (1.0 - p)) + math.log2((1.0 - self.prior) / self.prior)
        return replace(self, threshold=t)

    def with_name_frequencies(self, records: Iterable[MatchRecord]) -> MatchModel:
        """The same model with keyed name-token counts of the tenant's records (name-frequency adjustment).

        When two names agree ("exact" or "close"), the chance that two *different* people share that name is
        proportional to its frequency f (product of its token frequencies), while a match carries the name with
        probability f itself: the likelihood ratio gains log2(F / f), F = sum over names of f^2 = the frequency of
        the average person's name (``name_ref``). So rare names weigh more, common ones less; clipped to
        +-`NAME_TF_CLIP` bits. Only tokens seen at least `NAME_TF_MIN_STORED` times are kept (bounded size, and
        no singleton keys in the model); an unlisted token counts as `NAME_TF_MIN_STORED - 1` (an upper bound).
        The counts are per keyed token: stored keyed, like the records.
        """
        counts: Counter[bytes] = Counter()
        recs = [r for r in records if r.name_tokens]
        for r in recs:
            counts.update({t.key for t in r.name_tokens})
        if not recs:
            return replace(self, name_counts=None, name_total=0, name_ref=0.0)
        kept = {k: c for k, c in counts.items() if c >= NAME_TF_MIN_STORED}
        probe = replace(self, name_counts=kept, name_total=len(recs), name_ref=0.0)
        mean_f = sum(2.0 ** _name_log_freq(probe, r) for r in recs) / len(recs)
        return replace(probe, name_ref=math.log2(mean_f))

    def to_json(self) -> str:
        doc: dict[str, Any] = {"v": MODEL_VERSION, "m": self.m, "u": self.u, "prior": self.prior}
        doc["threshold"] = self.threshold
        if self.h is not None:
            doc["h"] = self.h
            doc["h_prior"] = self.h_prior
        if self.name_counts is not None:
            doc["tf"] = {base64.b64encode(k).decode("ascii"): c for k, c in self.name_counts.items()}
            doc["tf_total"] = self.name_total
            doc["tf_ref"] = self.name_ref
        return json.dumps(doc, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        doc: Any = json.loads(text)
        if not isinstance(doc, dict) or doc.get("v") != MODEL_VERSION:
            raise ValueError(
                f"unsupported match model version {doc.get('v') if isinstance(doc, dict) else None!r} "
                f"(expected {MODEL_VERSION}; version 1 used other name levels: retrain, or use default_model())"
            )
        try:
            h = doc.get("h")
            model = cls(
                m={f: {lv: float(doc["m"][f][lv]) for lv in LEVELS[f]} for f in FIELDS},
                u={f: {lv: float(doc["u"][f][lv]) for lv in LEVELS[f]} for f in FIELDS},
                prior=float(doc["prior"]),
                threshold=float(doc["threshold"]),
                h=None if h is None else {f: {lv: float(h[f][lv]) for lv in LEVELS[f]} for f in FIELDS},
                h_prior=float(doc.get("h_prior", 0.0)),
                name_counts=(
                    None
                    if "tf" not in doc
                    else {base64.b64decode(k, validate=True): int(c) for k, c in doc["tf"].items()}
                ),
                name_total=int(doc.get("tf_total", 0)),
                name_ref=float(doc.get("tf_ref", 0.0)),
            )
        except (KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise ValueError("malformed match model") from exc
        _check_table(model.m)
        _check_table(model.u)
        if model.h is not None:
            _check_table(model.h)
            if not 0.0 < model.h_prior < 1.0 - model.prior:
                raise ValueError("match model household prior must be in (0, 1 - prior)")
        elif model.h_prior != 0.0:
            raise ValueError("household prior without household probabilities")
        if not 0.0 < model.prior < 1.0:
            raise ValueError("match model prior must be in (0, 1)")
        return model


# Priors: used as the model of a tenant without a trained one, and as the EM starting point. Chosen from what the
# levels mean (not fitted): a match rarely has a name conflict or a different birth date; a household member
# usually shares address (and often phone, surname) but not the given name, e-mail or national id; an unrelated
# candidate (found through a shared name token / postal code) mostly differs everywhere else.
DEFAULT_M: dict[str, dict[str, float]] = {
    "name": {"exact": 0.70, "alias": 0.07, "close": 0.15, "similar": 0.04, "partial": 0.03, "different": 0.01},
    "dob": {"exact": 0.90, "near": 0.06, "partial": 0.03, "different": 0.01},
    "email": {"exact": 0.60, "local": 0.15, "different": 0.25},
    "phone": {"exact": 0.80, "different": 0.20},
    "national_id": {"exact": 0.93, "high": 0.04, "medium": 0.02, "different": 0.01},
    "address": {"exact": 0.60, "high": 0.20, "medium": 0.10, "different": 0.10},
    "strong": {"exact": 0.80, "different": 0.20},
}
DEFAULT_H: dict[str, dict[str, float]] = {
    "name": {"exact": 0.01, "alias": 0.01, "close": 0.03, "similar": 0.05, "partial": 0.60, "different": 0.30},
    "dob": {"exact": 0.10, "near": 0.01, "partial": 0.09, "different": 0.80},
    "email": {"exact": 0.08, "local": 0.02, "different": 0.90},
    "phone": {"exact": 0.55, "different": 0.45},
    "national_id": {"exact": 0.001, "high": 0.01, "medium": 0.10, "different": 0.889},
    "address": {"exact": 0.70, "high": 0.15, "medium": 0.10, "different": 0.05},
    "strong": {"exact": 0.05, "different": 0.95},
}
DEFAULT_U: dict[str, dict[str, float]] = {
    "name": {"exact": 0.01, "alias": 0.002, "close": 0.018, "similar": 0.05, "partial": 0.30, "different": 0.62},
    "dob": {"exact": 0.02, "near": 0.01, "partial": 0.10, "different": 0.87},
    "email": {"exact": 0.001, "local": 0.01, "different": 0.989},
    "phone": {"exact": 0.005, "different": 0.995},
    "national_id": {"exact": 0.0001, "high": 0.005, "medium": 0.05, "different": 0.9449},
    "address": {"exact": 0.01, "high": 0.02, "medium": 0.20, "different": 0.77},
    "strong": {"exact": 0.001, "different": 0.999},
}
DEFAULT_POSTERIOR = 0.99
DEFAULT_H_PRIOR = 0.01


def default_model(prior: float = 0.02, h_prior: float = DEFAULT_H_PRIOR) -> MatchModel:
    """Prior three-class model (see the DEFAULT_* tables), threshold at posterior 0.99: conservative."""
    return MatchModel(DEFAULT_M, DEFAULT_U, prior, 0.0, DEFAULT_H, h_prior).with_posterior_threshold(DEFAULT_POSTERIOR)


_LOG_CACHE: dict[int, tuple[MatchModel, dict[str, dict[str, tuple[float, float, float]]], float, float]] = {}


def _log_tables(model: MatchModel) -> tuple[dict[str, dict[str, tuple[float, float, float]]], float, float]:
    """Per field level (log2 m, log2 h, log2 u) with missing = 0, and the household share of not-match."""
    hit = _LOG_CACHE.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1], hit[2], hit[3]
    h = model.h or model.u
    table = {
        f: {lv: (math.log2(model.m[f][lv]), math.log2(h[f][lv]), math.log2(model.u[f][lv])) for lv in LEVELS[f]}
        | {MISSING: (0.0, 0.0, 0.0)}
        for f in FIELDS
    }
    not_m = 1.0 - model.prior
    share_h = model.h_prior / not_m if model.h is not None else 0.0
    if len(_LOG_CACHE) > 64:
        _LOG_CACHE.clear()
    _LOG_CACHE[id(model)] = (model, table, share_h, 1.0 - share_h)
    return table, share_h, 1.0 - share_h


NAME_TF_CLIP = 6.0
NAME_TF_MIN_STORED = 3
NAME_TF_LEVELS = frozenset({"exact", "alias", "close"})


def _name_log_freq(model: MatchModel, r: MatchRecord) -> float:
    counts = model.name_counts or {}
    floor = NAME_TF_MIN_STORED - 1
    n = model.name_total
    return sum(math.log2(max(counts.get(t.key, floor), 1) / n) for t in r.name_tokens)


def name_frequency_adjustment(model: MatchModel, a: MatchRecord, b: MatchRecord, name_level: str) -> float:
    """Bits added to the weight for how rare the agreeing name is (0 without counts; see with_name_frequencies).

    Uses the commoner of the two names (a typo or an extra middle name must not make a name look rare)."""
    if model.name_counts is None or name_level not in NAME_TF_LEVELS or not a.name_tokens or not b.name_tokens:
        return 0.0
    f = max(_name_log_freq(model, a), _name_log_freq(model, b))
    return min(max(model.name_ref - f, -NAME_TF_CLIP), NAME_TF_CLIP)


def weight_of(model: MatchModel, levels: Mapping[str, str], adjust: float = 0.0) -> float:
    """log2 P(levels | match) / P(levels | not match) under `model`; `adjust` bits are added to the match side."""
    table, sh, su = _log_tables(model)
    lm = adjust
    lh = lu = 0.0
    for f, lv in levels.items():
        t = table[f][lv]
        lm += t[0]
        lh += t[1]
        lu += t[2]
    if not sh:
        return lm - lu
    top = lh if lh > lu else lu
    return lm - top - math.log2(sh * 2.0 ** (lh - top) + su * 2.0 ** (lu - top))


def score(model: MatchModel, a: MatchRecord, b: MatchRecord) -> tuple[float, dict[str, str]]:
    """Total log2 match weight of the pair and its comparison vector."""
    levels = compare(a, b)
    return weight_of(model, levels, name_frequency_adjustment(model, a, b, levels["name"])), levels


PERSONAL_ID_LEVELS: dict[str, frozenset[str]] = {
    "national_id": frozenset({"exact"}),  # not "high": two ids two digits apart (twins' serials) can grade high
    "strong": frozenset({"exact"}),
}


def guard(levels: Mapping[str, str]) -> str | None:
    """The hard guard (module docstring, G1/G2) that vetoes a link for this comparison vector, or None."""
    if any(levels.get(f) in ok for f, ok in PERSONAL_ID_LEVELS.items()):
        return None
    if levels.get("name") in ("partial", "different"):
        return "G1 name conflict"
    if levels.get("dob") == "different":
        return "G2 birth-date conflict"
    return None


def decide(model: MatchModel, a: MatchRecord, b: MatchRecord) -> tuple[bool, float, dict[str, str]]:
    """Link decision for the service: (link, weight, levels).

    ``link`` is True when the weight reaches ``model.threshold`` (posterior P(match) >= the model's posterior,
    0.99 by default) and no hard guard (G1, G2 in the module docstring) vetoes it. ``weight`` is `score`'s log2
    weight (returned also for vetoed pairs, for audit), ``levels`` the comparison vector.
    """
    weight, levels = score(model, a, b)
    return weight >= model.threshold and guard(levels) is None, weight, levels


def estimate(
    pairs_vectors: Iterable[Mapping[str, str]],
    *,
    iterations: int = 100,
    initial: MatchModel | None = None,
    posterior: float = DEFAULT_POSTERIOR,
    tolerance: float = 1e-7,
    household: bool = True,
) -> MatchModel:
    """Unsupervised EM for the three-class (match / household / unrelated) model, or the classic two-class one
    with ``household=False`` (conditional independence within each class; missing levels skipped).

    Works on the distinct comparison patterns with their counts, so the cost per iteration is independent of the
    number of pairs. Probabilities are clamped to [1e-6, 1 - 1e-6]. Starts from `initial` (default: the
    `default_model` priors). The returned model's threshold is the weight at which the posterior match
    probability reaches `posterior`.
    """
    patterns = Counter(tuple(v.get(f, MISSING) for f in FIELDS) for v in pairs_vectors)
    if not patterns:
        raise ValueError("no comparison vectors to estimate from")
    model = initial or default_model()
    if household:
        h0 = model.h or DEFAULT_H
        h_prior = model.h_prior or DEFAULT_H_PRIOR
        tables = [model.m, h0, model.u]
        pis = [model.prior, h_prior, 1.0 - model.prior - h_prior]
    else:
        tables = [model.m, model.u]
        pis = [model.prior, 1.0 - model.prior]
    k = len(tables)
    probs = [{f: dict(t[f]) for f in FIELDS} for t in tables]
    items = list(patterns.items())
    total = float(sum(patterns.values()))
    for _ in range(iterations):
        logs = [{f: {lv: math.log(p[f][lv]) for lv in LEVELS[f]} | {MISSING: 0.0} for f in FIELDS} for p in probs]
        log_pis = [math.log(x) for x in pis]
        accs = [{f: dict.fromkeys(LEVELS[f], 0.0) for f in FIELDS} for _ in range(k)]
        mass = [0.0] * k
        for pattern, count in items:
            ll = list(log_pis)
            for c in range(k):
                lc = logs[c]
                ll[c] += sum(lc[f][lv] for f, lv in zip(FIELDS, pattern, strict=True))
            top = max(ll)
            ws = [math.exp(x - top) for x in ll]
            norm = count / sum(ws)
            for c in range(k):
                g = ws[c] * norm
                if g == 0.0:
                    continue
                mass[c] += g
                acc = accs[c]
                for f, lv in zip(FIELDS, pattern, strict=True):
                    if lv != MISSING:
                        acc[f][lv] += g
        new_probs = [{f: _clamp_normalize(_normalized(acc[f])) for f in FIELDS} for acc in accs]
        new_pis = [min(max(x / total, PROB_MIN), 1.0 - PROB_MIN) for x in mass]
        delta = max(
            *(abs(a - b) for a, b in zip(new_pis, pis, strict=True)),
            *(abs(new_probs[c][f][lv] - probs[c][f][lv]) for c in range(k) for f in FIELDS for lv in LEVELS[f]),
        )
        probs, pis = new_probs, new_pis
        if delta < tolerance:
            break
    if household:
        out = MatchModel(probs[0], probs[2], pis[0], 0.0, probs[1], pis[1])
    else:
        out = MatchModel(probs[0], probs[1], pis[0], 0.0)
    return out.with_posterior_threshold(posterior)


def _normalized(acc: Mapping[str, float]) -> dict[str, float]:
    total = sum(acc.values())
    if total <= 0.0:
        return {k: 1.0 / len(acc) for k in acc}
    return {k: v / total for k, v in acc.items()}
