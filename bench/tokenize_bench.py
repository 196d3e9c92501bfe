"""Tokenization + fingerprinting of N PANs on one thread: the Rust batch path or the same work in Python.

    RAYON_NUM_THREADS=1 python bench/tokenize_bench.py --impl rust --pans 1000000
    python bench/tokenize_bench.py --impl python --pans 1000000

Per PAN, both do: validate (digits, length, Luhn), HMAC-SHA256 fingerprint under a tenant key, a random
Luhn-invalid token (BIN6 + random middle digits + last4), AES-256-GCM seal of the PAN with a random
96-bit nonce and AAD binding tenant, token and key id, and a result object with token, fingerprint,
key id, ciphertext, BIN, last4 and brand. Prints one JSON line:
{"impl", "pans", "seconds", "cpu_seconds", "per_cpu_second"}.
The PANs are synthetic (crs.seed.synthetic_pan) and never printed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "python")]

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crs._core import KeyRing
from crs.seed import synthetic_pan

TENANT = "bench"
CHUNK = 250  # below the Rust PARALLEL_THRESHOLD (256): each batch runs on the calling thread only


class PySealed(NamedTuple):
    token: str
    fingerprint: str
    key_id: str
    ciphertext: bytes
    bin: str
    last4: str
    brand: str


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _brand(pan: str) -> str:
    if pan[0] == "4":
        return "VISA"
    two = int(pan[:2])
    if 51 <= two <= 55 or 2221 <= int(pan[:4]) <= 2720:
        return "MASTERCARD"
    if two in (34, 37):
        return "AMEX"
    return "UNKNOWN"


class PythonVault:
    """The pure-Python equivalent of ``KeyRing.seal_pans`` (keys random; HKDF derivation is not timed)."""

    def __init__(self) -> None:
        self.fp_key = os.urandom(32)
        self.aead = AESGCM(os.urandom(32))
        self.key_id = "k1"

    def _token(self, pan: str) -> str:
        middle = "".join(str(b % 10) for b in os.urandom(len(pan) - 10))
        token = pan[:6] + middle + pan[-4:]
        if _luhn_ok(token):  # bump one middle digit: any single-digit change breaks the Luhn sum
            i = len(token) - 5
            token = token[:i] + str((int(token[i]) + 1) % 10) + token[i + 1 :]
        return token

    def seal(self, pan: str) -> PySealed | str:
        if not pan.isdigit():
            return "PAN must contain only digits"
        if not 12 <= len(pan) <= 19:
            return "PAN length must be 12 to 19 digits"
        if not _luhn_ok(pan):
            return "PAN fails the Luhn check"
        data = pan.encode()
        fingerprint = hmac.new(self.fp_key, data, hashlib.sha256).hexdigest()
        token = self._token(pan)
        nonce = os.urandom(12)
        aad = f"crs/pan/v1|{TENANT}|{token}|{self.key_id}".encode()
        ciphertext = nonce + self.aead.encrypt(nonce, data, aad)
        return PySealed(token, fingerprint, self.key_id, ciphertext, pan[:6], pan[-4:], _brand(pan))

    def seal_pans(self, pans: list[str]) -> list[PySealed | str]:
        return [self.seal(p) for p in pans]


def run(impl: str, n: int) -> dict[str, object]:
    pans = [synthetic_pan(12345, i) for i in range(n)]
    seal: Callable[[list[str]], list[object]]
    if impl == "rust":
        with tempfile.TemporaryDirectory() as d:
            KeyRing.generate(str(Path(d) / "keys.json"))
            ring = KeyRing.from_file(str(Path(d) / "keys.json"))

        def seal(chunk: list[str]) -> list[object]:
            return list(ring.seal_pans(TENANT, chunk))
    else:
        vault = PythonVault()

        def seal(chunk: list[str]) -> list[object]:
            return list(vault.seal_pans(chunk))

    seal(pans[:1000])  # warm up (key derivation, imports)
    ok = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(0, n, CHUNK):
        out = seal(pans[i : i + CHUNK])
        ok += sum(1 for r in out if not isinstance(r, str))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if ok != n:
        raise SystemExit(f"{impl}: {n - ok} synthetic PANs were rejected")
    # per CPU-second of this process (all its threads): the per-core rate, whatever else the machine runs
    return {"impl": impl, "pans": n, "seconds": seconds, "cpu_seconds": cpu, "per_cpu_second": n / cpu}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--impl", choices=["rust", "python"], required=True)
    p.add_argument("--pans", type=int, default=1_000_000)
    args = p.parse_args()
    print(json.dumps(run(args.impl, args.pans)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
