"""The current call's context, set by the interceptor and read by servicers."""

from __future__ import annotations

from contextvars import ContextVar

from crs.domain.context import CallContext
from crs.domain.errors import NotFound

CURRENT: ContextVar[CallContext] = ContextVar("crs_call")


def current() -> CallContext:
    return CURRENT.get()


def own_tenant(tenant: str, resource: str = "") -> str:
    """Another tenant's resource is reported exactly like a missing one (no existence oracle)."""
    ctx = current()
    if tenant != ctx.tenant:
        raise NotFound(f"{resource or 'resource'} not found", "NOT_FOUND", {}, "", resource)
    return tenant


# The caller's deadline as a time.monotonic() instant (None: the caller set none), set by the interceptor and
# checked by ObservedStore before every store operation.
DEADLINE: ContextVar[float | None] = ContextVar("crs_deadline", default=None)


class DeadlineExceeded(Exception):
    """The caller's deadline passed before the store work started: nothing was read or written."""
