#!/usr/bin/env python3
"""Regenerate the committed Python stubs in python/crs/v1 from proto/crs/v1.

    python scripts/gen_protos.py           # rewrite python/crs/v1/*_pb2*.py(i)
    python scripts/gen_protos.py --check   # exit 1 if the committed stubs are stale

Nobody edits the generated files; change the .proto and run this script.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import google.api
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
OUT_PACKAGE = ROOT / "python" / "crs" / "v1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def _include_dirs() -> list[str]:
    grpc_tools_protos = Path(protoc.__file__).parent / "_proto"
    googleapis = Path(next(iter(google.api.__path__))).parent.parent  # site-packages holding google/api
    return [str(PROTO_ROOT), str(googleapis), str(grpc_tools_protos)]


def generate(out_root: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "crs" / "v1").glob("*.proto"))
    args = ["grpc_tools.protoc"]
    args += [f"-I{d}" for d in _include_dirs()]
    plugin = Path(sys.executable).parent / "protoc-gen-mypy_grpc"  # from mypy-protobuf: typed gRPC stubs
    args += [f"--python_out={out_root}", f"--grpc_python_out={out_root}", f"--pyi_out={out_root}"]
    args += [f"--plugin=protoc-gen-mypy_grpc={plugin}", f"--mypy_grpc_out={out_root}"]
    args += protos
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    package = out_root / "crs" / "v1"
    (package / "__init__.py").write_text('"""Generated protobuf and gRPC stubs for crs.v1 (do not edit)."""\n')


def _generated(directory: Path) -> list[str]:
    names = [p.name for p in directory.iterdir() if p.name.endswith(GENERATED_SUFFIXES)]
    return sorted([*names, "__init__.py"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if python/crs/v1 is stale")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out_root = Path(tmp)
        generate(out_root)
        fresh = out_root / "crs" / "v1"
        if opts.check:
            committed = _generated(OUT_PACKAGE) if OUT_PACKAGE.exists() else []
            expected = _generated(fresh)
            stale = sorted(set(committed) ^ set(expected))
            stale += [n for n in expected if n in committed and not filecmp.cmp(fresh / n, OUT_PACKAGE / n, False)]
            if stale:
                print("stale generated stubs in python/crs/v1: " + ", ".join(sorted(set(stale))))
                print("run: python scripts/gen_protos.py")
                return 1
            print("python/crs/v1 is up to date")
            return 0
        OUT_PACKAGE.mkdir(parents=True, exist_ok=True)
        for old in OUT_PACKAGE.iterdir():
            if old.name.endswith(GENERATED_SUFFIXES):
                old.unlink()
        for name in _generated(fresh):
            shutil.copyfile(fresh / name, OUT_PACKAGE / name)
    print(f"generated {OUT_PACKAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
