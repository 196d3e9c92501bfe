"""Diagnostics with labels (development only; nothing here feeds back into parameters): FN patterns near threshold."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from itertools import combinations

from evaluate import BENCH_KEY, candidate_pairs
from generate import generate

from crs.domain.identity.encoding import HmacKeyer, build_match_record
from crs.domain.identity.matching import FIELDS, blocking_keys, compare, decide, estimate

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
pop = generate(n, 20260509)
keyer = HmacKeyer(BENCH_KEY)
recs = pop.records
records = [
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
pairs, _, _ = candidate_pairs([blocking_keys(m) for m in records], 500)
by_entity = defaultdict(list)
for i, r in enumerate(recs):
    by_entity[r.entity].append(i)
truth = {p for ids in by_entity.values() for p in combinations(sorted(ids), 2)}
pl = sorted(pairs)
vectors = [compare(records[i], records[j]) for i, j in pl]
model = estimate(vectors, iterations=200).with_name_frequencies(records)
fn = Counter()
fp = Counter()
for p in pl:
    link, w, lv = decide(model, records[p[0]], records[p[1]])
    key = " ".join(f"{f[:3]}={lv[f][:4]}" for f in FIELDS if lv[f] != "missing")
    if p in truth and not link:
        fn[key] += 1
    elif p not in truth and link:
        fp[key] += 1
print("threshold", model.threshold)
for k, c in fn.most_common(25):
    print("FN", c, k)
for k, c in fp.most_common(10):
    print("FP", c, k)
for p in pl:
    if p not in truth and decide(model, records[p[0]], records[p[1]])[0]:
        a, b = recs[p[0]], recs[p[1]]
        print("FP detail", a.name, "|", b.name, a.dob, b.dob, a.emails, b.emails, a.national_ids, b.national_ids)
ws = Counter()
for p in pl:
    if p in truth:
        link, w, lv = decide(model, records[p[0]], records[p[1]])
        if not link:
            ws[round(w - model.threshold)] += 1
print("FN weight - threshold histogram", sorted(ws.items()))
for f in FIELDS:
    print(
        f,
        {lv: round(x, 3) for lv, x in model.m[f].items()},
        {lv: round(x, 3) for lv, x in model.u[f].items()},
        {lv: round(x, 3) for lv, x in model.h[f].items()},
    )

if len(sys.argv) > 2:
    shown = Counter()
    for p, v in zip(pl, vectors, strict=True):
        if p in truth and v["name"] == sys.argv[2] and shown[sys.argv[2]] < 40:
            link = decide(model, records[p[0]], records[p[1]])[0]
            if not link:
                shown[sys.argv[2]] += 1
                print(recs[p[0]].name, "|", recs[p[1]].name, "|", recs[p[0]].dob, recs[p[1]].dob, recs[p[1]].errors)
