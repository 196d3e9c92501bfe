"""Server-generated ids: one per request_id (so concurrent retries meet on one row), else a fresh ULID."""

from __future__ import annotations

from crs.domain.context import CallContext, Principal
from crs.domain.ids import id_for, valid_id


def _ctx(request_id: str, tenant: str = "acme", method: str = "/crs.v1.CustomerService/CreateCustomer") -> CallContext:
    return CallContext(Principal("k", tenant, frozenset({"admin"})), method, request_id)


def test_same_request_same_id_and_valid() -> None:
    a, b = _ctx("r-1").new_id(), _ctx("r-1").new_id()
    assert a == b and valid_id(a) and len(a) == 26


def test_request_tenant_and_method_all_matter() -> None:
    ids = {
        _ctx("r-1").new_id(),
        _ctx("r-2").new_id(),
        _ctx("r-1", tenant="globex").new_id(),
        _ctx("r-1", method="/crs.v1.AccountService/CreateAccount").new_id(),
    }
    assert len(ids) == 4


def test_without_request_id_every_call_gets_a_new_id() -> None:
    assert len({_ctx("").new_id() for _ in range(100)}) == 100
    assert id_for("x", "") != id_for("x", "")
