"""The launch check shared by the bench's instrumented servers (``python -m bench.X serve ...``)."""

from __future__ import annotations

import sys


def refuse_launch(argv: list[str], program: str, kept: str) -> int | None:
    """2, after a line on stderr, unless ``argv`` is ``serve ... --workers 1``: more workers would be started by
    the supervisor as plain ``crs serve`` processes, without the instrument (``kept``: what they would lack)."""
    if argv[:1] != ["serve"]:
        print(f"usage: python -m {program} serve [crs serve options]", file=sys.stderr)
        return 2
    at = argv.index("--workers") if "--workers" in argv else -1
    if at < 0 or argv[at + 1 : at + 2] != ["1"]:
        print(f"{program}: pass --workers 1 (more workers would run without {kept})", file=sys.stderr)
        return 2
    return None
