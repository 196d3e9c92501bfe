"""``crs export``: a consistent snapshot as files, through the gRPC API (ExportSnapshot).

One JSON Lines file per resource type (``{"resource": name, "value": {...API message as JSON...}}`` per line,
sorted by resource name) and ``manifest.json`` with the snapshot's cursor, counts and SHA-256 per file. Files
are written under temporary names and renamed; the manifest is renamed last, so a directory with a manifest
holds a complete export. Follow the snapshot with Subscribe(start_cursor = manifest cursor).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from google.protobuf import json_format

from crs.v1 import (  # noqa: F401  (imported so their messages can be unpacked from Any)
    account_pb2,
    card_pb2,
    changefeed_pb2,
    changefeed_pb2_grpc,
    cluster_pb2,
    customer_pb2,
    relationship_pb2,
)

MANIFEST = "manifest.json"


def _line(record: changefeed_pb2.SnapshotRecord) -> bytes:
    value = json_format.MessageToDict(record.value, preserving_proto_field_name=True)
    value.pop("@type", None)
    doc = {"resource": record.resource, "value": value}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode() + b"\n"


def export(
    stub: changefeed_pb2_grpc.ChangeFeedServiceStub,
    tenant: str,
    out: Path,
    types: Sequence[str],
    metadata: Sequence[tuple[str, str]] = (),
    timeout: float | None = None,
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, IO[bytes]] = {}
    digests: dict[str, Any] = {}
    counts: dict[str, int] = {}
    end: changefeed_pb2.SnapshotEnd | None = None
    request = changefeed_pb2.ExportSnapshotRequest(parent=f"tenants/{tenant}", resource_types=list(types))
    try:
        for item in stub.ExportSnapshot(request, metadata=tuple(metadata), timeout=timeout):
            if item.HasField("end"):
                end = item.end
                continue
            rec = item.record
            f = files.get(rec.resource_type)
            if f is None:
                f = files[rec.resource_type] = open(out / f"{rec.resource_type}.jsonl.tmp", "wb")  # noqa: SIM115
                digests[rec.resource_type] = hashlib.sha256()
            line = _line(rec)
            f.write(line)
            digests[rec.resource_type].update(line)
            counts[rec.resource_type] = counts.get(rec.resource_type, 0) + 1
    finally:
        for f in files.values():
            f.close()
    if end is None:
        raise RuntimeError("the snapshot stream ended without its end message")
    manifest: dict[str, Any] = {
        "tenant": tenant,
        "cursor": end.cursor,
        "as_of_time": end.as_of_time.ToJsonString(),
        "format": "jsonl",
        "files": {},
    }
    for rtype in sorted(end.counts):
        if counts.get(rtype, 0) != end.counts[rtype]:
            raise RuntimeError(f"{rtype}: received {counts.get(rtype, 0)} records, the server sent {end.counts[rtype]}")
        name = f"{rtype}.jsonl"
        if rtype not in files:
            (out / f"{name}.tmp").write_bytes(b"")
            digests[rtype] = hashlib.sha256()
        os.replace(out / f"{name}.tmp", out / name)
        manifest["files"][rtype] = {"file": name, "count": end.counts[rtype], "sha256": digests[rtype].hexdigest()}
    tmp = out / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, out / MANIFEST)
    return manifest


def verify(out: Path) -> dict[str, Any]:
    """Re-reads an export: every file's line count and SHA-256 match the manifest (ValueError otherwise)."""
    manifest: dict[str, Any] = json.loads((out / MANIFEST).read_text())
    for rtype, entry in manifest["files"].items():
        data = (out / entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"] or data.count(b"\n") != entry["count"]:
            raise ValueError(f"{rtype}: {entry['file']} does not match the manifest")
    return manifest
