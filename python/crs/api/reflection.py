"""Server reflection that also resolves method symbols (``pkg.Service.Method``).

The upb descriptor pool behind grpcio-reflection does not find method names with
``FindFileContainingSymbol``, so ``grpcurl describe crs.v1.CardService.LookupCard`` would fail;
this pool falls back to the method's service file.
"""

from __future__ import annotations

from typing import Any, cast

import grpc
from google.protobuf import descriptor_pool
from grpc_reflection.v1alpha import reflection


class MethodAwarePool:
    def __init__(self, pool: descriptor_pool.DescriptorPool | None = None) -> None:
        self._pool = pool or descriptor_pool.Default()

    def FindFileContainingSymbol(self, symbol: str) -> Any:  # the DescriptorPool method name
        try:
            return self._pool.FindFileContainingSymbol(symbol)
        except KeyError:
            try:
                return self._pool.FindMethodByName(symbol).containing_service.file
            except KeyError:
                raise KeyError(symbol) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


def enable(service_names: tuple[str, ...], server: grpc.aio.Server) -> None:
    reflection.enable_server_reflection(
        (*service_names, reflection.SERVICE_NAME), server, pool=cast(descriptor_pool.DescriptorPool, MethodAwarePool())
    )
