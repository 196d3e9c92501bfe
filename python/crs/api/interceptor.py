"""One interceptor for the cross-cutting work of every CRS call: auth, scope, errors, audit, the log line."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import grpc
from google.protobuf.message import Message

from crs._core import KeyRing, is_token_shaped
from crs.api import encoded, logs, metrics
from crs.api import errors as api_errors
from crs.api.auth import ApiKeys
from crs.api.call import CURRENT, DEADLINE, DeadlineExceeded
from crs.api.methods import POLICIES, PUBLIC_PREFIXES, Policy
from crs.domain import audit
from crs.domain.context import CallContext, Principal
from crs.domain.errors import DomainError, PermissionDenied
from crs.storage.base import Store, StoreUnavailable

Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]
StreamBehavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Any]]


def resource_of(request: Message) -> str:
    fields = {f.name for f, _ in request.ListFields()}
    if "token" in fields and hasattr(request, "purpose"):
        token = str(request.token)  # type: ignore[attr-defined]
        # Only a token-shaped value is recorded: a PAN sent here by mistake must not reach the audit trail.
        return f"{request.parent}/vault/tokens/{token if is_token_shaped(token) else '(not-a-token)'}"  # type: ignore[attr-defined]
    if "name" in fields:
        return str(request.name)  # type: ignore[attr-defined]
    for field, value in request.ListFields():
        if field.message_type is not None and hasattr(value, "name") and value.name:
            return str(value.name)
    return str(getattr(request, "parent", ""))


def _metadata(context: grpc.aio.ServicerContext[Any, Any], key: str) -> str | None:
    for k, v in context.invocation_metadata() or ():
        if k == key:
            return v if isinstance(v, str) else v.decode()
    return None


class CrsInterceptor(grpc.aio.ServerInterceptor):
    """``max_concurrent``: CRS calls in flight beyond this are shed at once with RESOURCE_EXHAUSTED (0: no limit).

    The limit is applied here rather than with grpc's own ``maximum_concurrent_rpcs``: grpc refuses over-limit
    calls before any interceptor runs (so they could not be counted) and counts health checks too (so a
    loaded pod would fail its probes). Health and reflection are never shed.
    """

    def __init__(self, keys: ApiKeys, store: Store, keyring: KeyRing, max_concurrent: int = 0) -> None:
        self._keys = keys
        self._store = store
        self._keyring = keyring
        self._max_concurrent = max_concurrent
        self._in_flight = 0
        self._pid = os.getpid()  # which worker of `crs serve --workers N` served the call
        self._log = logs.get()
        # The wrapped handler of each method, built on its first call: the hot path neither rebuilds the
        # closure and handler nor re-resolves its metric children per call.
        self._handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method = handler_call_details.method
        cached = self._handlers.get(method)
        if cached is not None:
            return cached
        handler = await continuation(handler_call_details)
        if handler is None or method.startswith(PUBLIC_PREFIXES):
            return handler
        wrapped = self._wrap_handler(method, handler)
        if wrapped is not None:
            self._handlers[method] = wrapped
        return wrapped

    def _wrap_handler(
        self, method: str, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        policy = POLICIES.get(method, Policy("admin"))
        if handler.unary_stream is not None:
            stream = self._stream(method, policy, cast(StreamBehavior, handler.unary_stream))
            return grpc.unary_stream_rpc_method_handler(
                stream,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_unary is None:
            return None  # client/bidi streaming is not wrapped (none is defined): UNIMPLEMENTED, never unauthenticated
        wrapped = self._wrap(method, policy, cast(Behavior, handler.unary_unary))
        return grpc.unary_unary_rpc_method_handler(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=encoded.serializer(handler.response_serializer),  # an Encoded response as is
        )

    def _wrap(self, method: str, policy: Policy, inner: Behavior) -> Behavior:
        in_flight = metrics.IN_FLIGHT.labels(method=method)

        async def behavior(request: Message, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            if self._max_concurrent and self._in_flight >= self._max_concurrent:
                metrics.SHED.labels(method=method).inc()
                metrics.REQUESTS.labels(method=method, code="RESOURCE_EXHAUSTED").inc()
                await context.abort(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    "server overloaded: too many calls in flight; retry with backoff",
                )
            self._in_flight += 1
            in_flight.inc()
            try:
                return await self._call(method, policy, inner, request, context)
            finally:
                self._in_flight -= 1
                in_flight.dec()

        return behavior

    async def _call(
        self,
        method: str,
        policy: Policy,
        inner: Behavior,
        request: Message,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> Any:
        started = time.perf_counter()
        request_id = str(getattr(request, "request_id", "")) or (_metadata(context, "x-request-id") or "")
        principal: Principal | None = None
        code = "OK"
        failure: grpc.Status | None = None
        peer = context.peer() or ""
        remaining = context.time_remaining()
        deadline_token = DEADLINE.set(None if remaining is None else time.monotonic() + remaining)
        try:
            if remaining is not None and remaining <= 0:
                raise DeadlineExceeded("the caller's deadline passed before the call started")
            principal = self._keys.authenticate(_metadata(context, "authorization"))
            ctx = CallContext(
                principal,
                method,
                request_id,
                # Keyed (the request may hold a PAN); only a call with a request_id stores or compares it.
                self._keyring.mac("request-hash/v1", request.SerializeToString(deterministic=True)).hex()
                if request_id
                else "",
                peer,
            )
            token = CURRENT.set(ctx)
            try:
                if policy.scope and not principal.has(policy.scope):
                    raise PermissionDenied(f"this API key lacks the '{policy.scope}' scope", "MISSING_SCOPE")
                return await inner(request, context)
            except DomainError as err:
                if policy.audit_failures:
                    await self._audit_failure(ctx, request, api_errors.code_of(err).name)
                raise
            finally:
                CURRENT.reset(token)
        except asyncio.CancelledError:
            code = "CANCELLED"
            raise
        except Exception as exc:
            code, failure = self._failure(
                method, exc, "the deadline passed before the store work started; nothing was written"
            )
        finally:
            DEADLINE.reset(deadline_token)
            self._finished(method, code, started, principal, peer, request_id)
        assert failure is not None
        await context.abort(failure.code, failure.details, failure.trailing_metadata)

    def _failure(self, method: str, exc: Exception, deadline_detail: str) -> tuple[str, grpc.Status]:
        """The status code name and the status to abort with for an error raised by a call."""
        if isinstance(exc, DomainError):
            return api_errors.code_of(exc).name, api_errors.to_status(exc)
        if isinstance(exc, DeadlineExceeded):
            return "DEADLINE_EXCEEDED", api_errors.deadline_status(deadline_detail)
        if isinstance(exc, StoreUnavailable):
            return "UNAVAILABLE", api_errors.unavailable_status("the store is unavailable; retry")
        # never crash, never echo input: log the type only
        self._log.error("unhandled", method=method, error_type=type(exc).__name__)
        return "INTERNAL", api_errors.internal_status()

    def _finished(
        self, method: str, code: str, started: float, principal: Principal | None, peer: str, request_id: str = ""
    ) -> None:
        """Metrics and the one log line of a call."""
        elapsed = time.perf_counter() - started
        metrics.request_done(method, code, elapsed)
        logs.rpc_line(
            method,
            code,
            round(elapsed * 1000, 3),
            principal.tenant if principal else None,
            principal.key_id if principal else None,
            request_id or None,
            peer,
            self._pid,
        )

    def _stream(self, method: str, policy: Policy, inner: StreamBehavior) -> StreamBehavior:
        """Server-streaming calls (the change feed): the same authentication, scope check, error mapping and log
        line as unary calls; the log line is written when the stream ends."""

        async def behavior(request: Message, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            started = time.perf_counter()
            principal: Principal | None = None
            code = "OK"
            failure: grpc.Status | None = None
            remaining = context.time_remaining()
            DEADLINE.set(None if remaining is None else time.monotonic() + remaining)
            peer = context.peer() or ""  # read now: after a client cancels, the call must not be touched again
            try:
                principal = self._keys.authenticate(_metadata(context, "authorization"))
                CURRENT.set(CallContext(principal, method, "", "", peer))
                if policy.scope and not principal.has(policy.scope):
                    raise PermissionDenied(f"this API key lacks the '{policy.scope}' scope", "MISSING_SCOPE")
                async for item in inner(request, context):
                    yield item
            except (asyncio.CancelledError, GeneratorExit):
                code = "CANCELLED"
                raise
            except Exception as exc:
                code, failure = self._failure(method, exc, "the call's deadline passed")
            finally:
                self._finished(method, code, started, principal, peer)
            if failure is not None:
                await context.abort(failure.code, failure.details, failure.trailing_metadata)

        return behavior

    async def _audit_failure(self, ctx: CallContext, request: Message, outcome: str) -> None:
        deadline_token = DEADLINE.set(None)  # a refusal is audited even when the caller has given up
        try:
            await audit.record_outcome(
                self._store, ctx, resource_of(request), outcome, purpose=str(getattr(request, "purpose", ""))
            )
        except Exception as exc:  # the refusal stands even if its audit write fails; say so loudly
            self._log.error("audit_write_failed", method=ctx.method, error_type=type(exc).__name__)
        finally:
            DEADLINE.reset(deadline_token)
