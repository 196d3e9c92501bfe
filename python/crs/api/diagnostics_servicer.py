"""DiagnosticsService: Ping, the authenticated no-op (who the server takes the caller to be)."""

from __future__ import annotations

from typing import Any

import grpc

from crs.api.call import current
from crs.v1 import diagnostics_pb2, diagnostics_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]


class DiagnosticsServicer(diagnostics_pb2_grpc.DiagnosticsServiceServicer):
    async def Ping(self, request: diagnostics_pb2.PingRequest, context: Ctx) -> diagnostics_pb2.PingResponse:
        principal = current().principal
        return diagnostics_pb2.PingResponse(
            tenant=f"tenants/{principal.tenant}", api_key_id=principal.key_id, scopes=sorted(principal.scopes)
        )
