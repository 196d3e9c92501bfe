"""``crs serve`` whose lookups answer from a cache of their own first answers: a bench instrument.

    python -m bench.cached_answer_server serve --data-dir ... (the options of ``crs serve``, with --workers 1)

``bench/store_free.py`` runs this server beside a normal one on the same data. LookupCard and
GetAuthorizationContext run their servicer once per distinct request (keyed by the request's bytes) and send
the same response bytes for every repeat: after the warm-up each call is the request's parse, the interceptor
(authentication, the in-flight limit, metrics, the log line), one dict lookup and the real response on the
wire, with none of the servicer's work. What a lookup costs here above Ping is the floor of a call of that
shape on this server stack; the rest of its cost on the normal server is the servicer's own work.

Never a way to serve: the cache never sees a change. The responses it holds carry no PAN (LookupCard and
GetAuthorizationContext answer with masked card data); a PAN-keyed request's bytes are the cache key, in this
process's memory only.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bench.instrument_server import refuse_launch
from crs import cli
from crs.api import cluster_servicers, servicers
from crs.api.encoded import Encoded

Method = Callable[[Any, Any, Any], Awaitable[Any]]


def cached(method: Method) -> Method:
    """``method`` answering each distinct request once; repeats get the first answer's bytes."""
    answers: dict[bytes, bytes] = {}

    async def answer(self: Any, request: Any, context: Any) -> Any:
        key = request.SerializeToString(deterministic=True)
        data = answers.get(key)
        if data is None:
            first = await method(self, request, context)
            data = first.data if type(first) is Encoded else first.SerializeToString()
            answers[key] = data
        return Encoded(data)

    return answer


def main(argv: list[str]) -> int:
    refused = refuse_launch(argv, "bench.cached_answer_server", "the cache")
    if refused is not None:
        return refused
    servicers.CardServicer.LookupCard = cached(servicers.CardServicer.LookupCard)  # type: ignore[assignment]
    lookup = cluster_servicers.LookupServicer
    lookup.GetAuthorizationContext = cached(lookup.GetAuthorizationContext)  # type: ignore[assignment]
    return cli.main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
