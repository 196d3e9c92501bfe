"""Matching benchmark: exact rules vs Fellegi-Sunter on a synthetic population, one command.

    .venv/bin/python bench/matching/evaluate.py [--entities N] [--seed S] [--max-block B]

Generates the population (generate.py), builds keyed MatchRecords, blocks, estimates the FS model by EM on the
candidate pairs WITHOUT labels (three classes: match / same household / unrelated), links pairs with `decide`:
posterior match probability >= 0.99 under that model (the threshold is not tuned on labels) and no hard guard
(matching.py docstring), and compares pairwise precision/recall/F1 of the exact rules and of FS against the
generator's entity ids. Writes bench/results/matching.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

from generate import DUPLICATE_RATES, Population, generate

from crs.domain.identity.encoding import HmacKeyer, MatchRecord, build_match_record
from crs.domain.identity.matching import (
    FIELDS,
    LEVELS,
    MatchModel,
    blocking_keys,
    compare,
    decide,
    default_model,
    estimate,
    exact_rules_link,
    guard,
    score,
    weight_of,
)

RESULTS = Path(__file__).resolve().parents[1] / "results" / "matching.md"
POSTERIOR = 0.99
BENCH_KEY = b"bench-matching-key-not-a-secret!"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def prf(predicted: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float, float, int, int]:
    tp = len(predicted & truth)
    fp = len(predicted) - tp
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(truth) if truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, fp


def candidate_pairs(keys: list[set[str]], max_block: int) -> tuple[set[tuple[int, int]], int, int]:
    blocks: defaultdict[str, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for k in ks:
            blocks[k].append(i)
    pairs: set[tuple[int, int]] = set()
    skipped = 0
    for members in blocks.values():
        if len(members) > max_block:
            skipped += 1
            continue
        pairs.update(combinations(sorted(members), 2))
    return pairs, len(blocks), skipped


def best_of_3_us(
    model: MatchModel, records: list[MatchRecord], pair_list: list[tuple[int, int]]
) -> tuple[list[tuple[int, int]], float]:
    """Contention-robust `score()` time on a shared machine: best of 3 passes over a fixed sample of pairs."""
    sample = pair_list[:: max(1, len(pair_list) // 50000)]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for i, j in sample:
            score(model, records[i], records[j])
        best = min(best, time.perf_counter() - t0)
    return sample, best / len(sample) * 1e6


def relation(pop: Population, ea: int, eb: int) -> str:
    pair = frozenset((ea, eb))
    if pair in pop.twins:
        return "twin"
    if pair in pop.family:
        return "family"
    return "unrelated"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--entities", type=int, default=25000)
    ap.add_argument("--seed", type=int, default=20260509)
    ap.add_argument("--max-block", type=int, default=500, help="blocks larger than this are not expanded")
    ap.add_argument("--no-write", action="store_true", help="print only, do not write bench/results/matching.md")
    args = ap.parse_args()

    t0 = time.perf_counter()
    pop = generate(args.entities, args.seed)
    t_gen = time.perf_counter() - t0
    recs = pop.records
    n = len(recs)
    print(f"generated {n} records ({pop.duplicate_records} duplicates) in {t_gen:.1f}s", flush=True)

    keyer = HmacKeyer(BENCH_KEY)
    t0 = time.perf_counter()
    records: list[MatchRecord] = [
        build_match_record(
            keyer,
            name=r.name,
            dob=r.dob,
            emails=r.emails,
            phones=r.phones,
            national_ids=r.national_ids,
            addresses=r.addresses,
            default_region=r.default_region,
        )
        for r in recs
    ]
    t_build = time.perf_counter() - t0
    invalid_nid = sum(1 for r, m in zip(recs, records, strict=True) if r.national_ids and not m.national_ids)
    keys = [blocking_keys(m) for m in records]
    print(f"built records in {t_build:.1f}s ({t_build / n * 1e6:.0f} µs/record)", flush=True)

    t0 = time.perf_counter()
    pairs, n_blocks, skipped = candidate_pairs(keys, args.max_block)
    t_block = time.perf_counter() - t0
    all_pairs = n * (n - 1) // 2
    print(f"{len(pairs)} candidate pairs of {all_pairs} ({t_block:.1f}s)", flush=True)

    by_entity: defaultdict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(recs):
        by_entity[r.entity].append(i)
    truth = {p for ids in by_entity.values() for p in combinations(sorted(ids), 2)}
    blocked_truth = len(truth & pairs)

    pair_list = sorted(pairs)
    t0 = time.perf_counter()
    vectors = [compare(records[i], records[j]) for i, j in pair_list]
    t_cmp = time.perf_counter() - t0
    t0 = time.perf_counter()
    model_plain = estimate(vectors, iterations=200, posterior=POSTERIOR)
    t_em = time.perf_counter() - t0
    model = model_plain.with_name_frequencies(records)  # keyed token counts of all records (no labels)
    print(f"EM in {t_em:.1f}s: prior {model.prior:.4f}, threshold {model.threshold:.2f}", flush=True)
    assert MatchModel.from_json(model.to_json()) == model

    t0 = time.perf_counter()
    weights = [score(model, records[i], records[j])[0] for i, j in pair_list]
    t_score = time.perf_counter() - t0
    us_per_pair = t_score / len(pair_list) * 1e6
    sample, us_best = best_of_3_us(model, records, pair_list)
    t0 = time.perf_counter()
    decisions = [decide(model, records[i], records[j])[0] for i, j in pair_list]
    us_decide = (time.perf_counter() - t0) / len(pair_list) * 1e6

    fs_links = {p for p, d in zip(pair_list, decisions, strict=True) if d}
    exact_links = {p for p in pair_list if exact_rules_link(records[p[0]], records[p[1]])}
    ex = prf(exact_links, truth)
    fs = prf(fs_links, truth)
    vetoes = [guard(v) for v in vectors]
    # Information rows (same pairs): the EM model's weight without the guards, the untrained default_model() with
    # the guards, and the classic two-class EM without guards (what the previous version did, on the new levels).
    fs_noguard = prf({p for p, w in zip(pair_list, weights, strict=True) if w >= model.threshold}, truth)
    plain = prf(
        {
            p
            for p, v, g in zip(pair_list, vectors, vetoes, strict=True)
            if g is None and weight_of(model_plain, v) >= model_plain.threshold
        },
        truth,
    )
    dm = default_model()
    dm_links = {
        p for p, v, g in zip(pair_list, vectors, vetoes, strict=True) if g is None and weight_of(dm, v) >= dm.threshold
    }
    dm_r = prf(dm_links, truth)
    t0 = time.perf_counter()
    model2 = estimate(vectors, iterations=200, posterior=POSTERIOR, household=False)
    t_em2 = time.perf_counter() - t0
    two = prf({p for p, v in zip(pair_list, vectors, strict=True) if weight_of(model2, v) >= model2.threshold}, truth)
    # Information only (not used to choose the threshold): other posteriors under the same model, with the guards.
    sweep = []
    for post in (0.9, 0.99, 0.999, 0.9999):
        t = model.with_posterior_threshold(post).threshold
        links = {p for p, w, g in zip(pair_list, weights, vetoes, strict=True) if w >= t and g is None}
        sweep.append((post, t, prf(links, truth)))

    def rel(p: tuple[int, int]) -> str:
        return relation(pop, recs[p[0]].entity, recs[p[1]].entity)

    fs_fp = Counter(rel(p) for p in fs_links - truth)
    # Diagnostics with labels (reported, never fed back): what the guards vetoed above the threshold.
    veto_true: Counter[str] = Counter()
    veto_false: Counter[str] = Counter()
    for p, w, g in zip(pair_list, weights, vetoes, strict=True):
        if g is not None and w >= model.threshold:
            (veto_true if p in truth else veto_false)[g] += 1
    fn_near = sum(
        1
        for p, w, g in zip(pair_list, weights, vetoes, strict=True)
        if p in truth and g is None and model.threshold - 3.0 <= w < model.threshold
    )
    fn_conflict = sum(1 for p, g in zip(pair_list, vetoes, strict=True) if p in truth and g is not None)
    fs_fn_levels: Counter[str] = Counter()
    for p, v in zip(pair_list, vectors, strict=True):
        if p in truth and p not in fs_links:
            fs_fn_levels[f"name={v['name']}"] += 1
            fs_fn_levels[f"dob={v['dob']}"] += 1
    ex_fp = Counter(rel(p) for p in exact_links - truth)
    fn_unblocked = len(truth - pairs)
    fn_errors: Counter[str] = Counter()
    for p in (truth & pairs) - fs_links:
        for r in (recs[p[0]], recs[p[1]]):
            fn_errors.update(r.errors)
    level_counts = {f: Counter(v[f] for v in vectors) for f in FIELDS}

    dup_n = pop.duplicate_records
    rates = {tag: pop.error_counts[tag] / dup_n for tag in sorted(pop.error_counts)}
    wt = model.weights()
    lines = [
        "# Identity matching benchmark: exact rules vs Fellegi-Sunter",
        "",
        f"Command: `.venv/bin/python bench/matching/evaluate.py --entities {args.entities} --seed {args.seed}"
        f" --max-block {args.max_block}`",
        "",
        f"- Machine: {cpu_model()}, {os.cpu_count()} cores (shared), {platform.system()} {platform.release()}",
        f"- Python {sys.version.split()[0]} ({platform.python_implementation()}), date {dt.date.today().isoformat()}",
        f"- Seed {args.seed}; {args.entities} people; {n} records ({dup_n} duplicate records); "
        f"{len(pop.twins)} twin pairs, {len(pop.family)} family-member pairs (hard negatives)",
        f"- True duplicate pairs: {len(truth)}; of them in the candidate set: {blocked_truth} "
        f"({blocked_truth / len(truth):.4f})",
        "",
        "## Results (same run, same candidate pairs)",
        "",
        "| method | precision | recall | F1 | true links | false links |",
        "|---|---|---|---|---|---|",
        f"| exact rules (strong id, or >=2 of e-mail/phone/name+dob) | {ex[0]:.4f} | {ex[1]:.4f} | {ex[2]:.4f} "
        f"| {ex[3]} | {ex[4]} |",
        f"| Fellegi-Sunter `decide`: 3-class EM (no labels), posterior >= {POSTERIOR}, guards G1/G2 | {fs[0]:.4f} "
        f"| {fs[1]:.4f} | {fs[2]:.4f} | {fs[3]} | {fs[4]} |",
        "",
        "Information rows (same pairs):",
        "",
        "| variant | precision | recall | F1 | true links | false links |",
        "|---|---|---|---|---|---|",
        f"| 3-class EM weight only, no guards | {fs_noguard[0]:.4f} | {fs_noguard[1]:.4f} | {fs_noguard[2]:.4f} "
        f"| {fs_noguard[3]} | {fs_noguard[4]} |",
        f"| 3-class EM + guards, without the name-frequency adjustment | {plain[0]:.4f} | {plain[1]:.4f} "
        f"| {plain[2]:.4f} | {plain[3]} | {plain[4]} |",
        f"| `default_model()` (untrained priors) + guards | {dm_r[0]:.4f} | {dm_r[1]:.4f} | {dm_r[2]:.4f} "
        f"| {dm_r[3]} | {dm_r[4]} |",
        f"| classic 2-class EM, no guards (new levels) | {two[0]:.4f} | {two[1]:.4f} | {two[2]:.4f} "
        f"| {two[3]} | {two[4]} |",
        "",
        f"Targets FS precision >= 0.999 and recall >= 0.99: "
        f"{'met' if fs[0] >= 0.999 and fs[1] >= 0.99 else 'NOT met'} (precision {fs[0]:.4f}, recall {fs[1]:.4f}). "
        "See the false links by relation and the false-negative breakdown below.",
        "",
        f"Where the recall goes (diagnostic with labels): blocking never compares {len(truth) - blocked_truth} true "
        f"pairs (ceiling {blocked_truth / len(truth):.4f}); {fn_conflict} compared true pairs carry a name or "
        "birth-date conflict without an agreeing national id / bank account / card (unknown nicknames, nickname plus "
        "typo, a replaced Chinese character - indistinguishable from a twin or sibling, so the G1/G2 rules refuse "
        f"them by design); {fn_near} more lie less than 3 bits below the posterior-0.99 threshold (mostly name + "
        "birth date agreeing with the other fields missing or changed: under the model that is 90-99 % "
        "posterior, not 99 %).",
        "",
        "Pairwise metrics over all record pairs (a true pair missed by blocking counts as a false negative); "
        "links are not transitively closed.",
        "",
        f"- Blocking: {len(pairs)} candidate pairs of {all_pairs} possible "
        f"(reduction ratio {1 - len(pairs) / all_pairs:.5f}); {n_blocks} blocks, {skipped} blocks over "
        f"{args.max_block} members not expanded; true pairs never compared: {fn_unblocked}",
        f"- Scoring: {us_per_pair:.1f} µs per pair (`score()`, CPython, single thread, {len(pair_list)} pairs), "
        f"{us_decide:.1f} µs per `decide()`; best of 3 passes over {len(sample)} sampled pairs {us_best:.1f} µs per "
        f"`score()`; "
        f"record build {t_build / n * 1e6:.0f} µs per record; compare-only pass {t_cmp / len(pair_list) * 1e6:.1f} µs;"
        f" EM {t_em:.2f} s (3-class), {t_em2:.2f} s (2-class)",
        f"- Model: prior {model.prior:.5f} (share of matches among candidate pairs), household prior "
        f"{model.h_prior:.5f}, name-frequency table {len(model.name_counts or {})} keyed tokens "
        f"(reference {model.name_ref:.2f} bits), threshold {model.threshold:.2f} "
        f"log2 units = posterior {POSTERIOR} under the EM model (chosen before looking at labels)",
        f"- Re-typed national ids rejected by check digits (so treated as missing): {invalid_nid}",
        f"- FS false links by relation: {dict(fs_fp)}; exact-rule false links by relation: {dict(ex_fp)}",
        f"- Errors on the records of FS false negatives (compared but not linked): {dict(fn_errors.most_common(12))}",
        f"- Levels of FS false negatives (compared but not linked): {dict(fs_fn_levels.most_common(10))}",
        f"- Guard vetoes of pairs above the threshold (diagnostic with labels, not fed back): true pairs "
        f"{dict(veto_true)}, false pairs {dict(veto_false)}",
        "",
        "Posterior sweep under the same EM model, with the guards (information only; the reported FS row uses 0.99):",
        "",
        "| posterior | threshold | precision | recall | F1 |",
        "|---|---|---|---|---|",
        *(f"| {p} | {t:.2f} | {r[0]:.4f} | {r[1]:.4f} | {r[2]:.4f} |" for p, t, r in sweep),
        "",
        "## Estimated weights",
        "",
        "log2(m/u) (match vs unrelated) / log2(m/h) (match vs household member) per level:",
        "",
        "| field | levels |",
        "|---|---|",
    ]
    hw = model.household_weights()
    for f in FIELDS:
        cells = [f"{lv} {wt[f][lv]:+.2f} / {hw[f][lv]:+.2f}" if hw else f"{lv} {wt[f][lv]:+.2f}" for lv in LEVELS[f]]
        lines.append(f"| {f} | " + ", ".join(cells) + " |")
    lines += [
        "",
        "Level counts over candidate pairs: "
        + "; ".join(f"{f}: " + ", ".join(f"{k} {v}" for k, v in level_counts[f].most_common()) for f in FIELDS),
        "",
        "## Method",
        "",
        "- Features (all keyed, `encoding.py` record v2): names compared token by token (keyed token, one-deletion "
        "neighbourhood, nickname forms, 3-6 char prefixes, phonetic code per token; CJK split into family/given "
        "name) -> levels exact / alias (known nickname) / close (one typo, extra middle name) / similar (sound-alike, "
        "truncation, typo of a nickname) / "
        "partial (one token agrees, another has no counterpart: the twin/family pattern) / different; birth date "
        "exact / near (day-month swap, year +-1, day +-1) / partial (two of year, month, day) / different.",
        "- Model: three latent classes (match / same household / unrelated), EM without labels on the candidate "
        "pairs, starting from `default_model()` priors; weight = log2 P(v|match)/P(v|not match); name-frequency "
        "adjustment from keyed token counts of the tenant's records (clipped to +-6 bits).",
        "- Decision: `decide()` = posterior >= 0.99 under the fitted model AND no hard guard: G1 a name conflict "
        "(partial/different) or G2 a birth-date conflict needs an exactly agreeing national id / bank account / card "
        "(rules stated in matching.py, not fitted).",
        "- Labels are used only to compute the figures and the diagnostics printed here, never to set parameters.",
        "",
        "## Generator fixes",
        "",
        "- `dob_other_error`, year +-1 branch: the day was clamped to 28 for every day > 28, so 3 in 31 of these "
        "errors also changed the day (a second, undocumented error). Now only 29 February is clamped. Error types "
        "and rates are unchanged.",
        "",
        "## Generator error rates",
        "",
        "Configured (`DUPLICATE_RATES` in generate.py; per duplicate record unless noted):",
        "",
        ", ".join(f"{k} {v}" for k, v in DUPLICATE_RATES.items()),
        "",
        f"Measured, share of the {dup_n} duplicate records carrying each error (conditional rates are lower "
        "overall because the field may be absent or the error not applicable):",
        "",
        ", ".join(f"{k} {v:.3f}" for k, v in rates.items()),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
