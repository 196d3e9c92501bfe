"""Odd input to every ProfileService, SupportService and Customer360Service method: a clean error, never INTERNAL."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs.v1 import customer360_pb2, customer360_pb2_grpc, profile_pb2, profile_pb2_grpc, support_pb2, support_pb2_grpc
from tests.helpers.data import ACME, create_customer
from tests.helpers.rpc import call_error

SC = grpc.StatusCode
CLEAN = {SC.INVALID_ARGUMENT, SC.NOT_FOUND, SC.FAILED_PRECONDITION}
P, S, V = profile_pb2, support_pb2, customer360_pb2

ODD = [
    "",
    "tenants/acme",
    "tenants/acme/customers/",
    "tenants//customers/x/profile",
    "tenants/acme/customers/x/profile/profile",
    "tenants/acme/customers/X/profile",
    "tenants/acme/customers/a\u0000b/profile",
    "tenants/acme/customers/ä/profile",
    "tenants/acme/cases/" + "a" * 5000,
    "tenants/acme/cases/a/notes",
    "/" * 50,
    "\U0001f4a9",
]


@pytest.fixture(scope="module")
def stubs(crs_server):  # type: ignore[no-untyped-def]
    return (
        crs_server.stub(profile_pb2_grpc.ProfileServiceStub, "acme-admin"),
        crs_server.stub(support_pb2_grpc.SupportServiceStub, "acme-admin"),
        crs_server.stub(customer360_pb2_grpc.Customer360ServiceStub, "acme-admin"),
    )


def _calls(stubs: Any, text: str) -> list[tuple[Any, Any]]:
    prof, sup, c360 = stubs
    mask = field_mask_pb2.FieldMask(paths=["*"])
    return [
        (prof.GetProfile, P.GetProfileRequest(name=text)),
        (prof.GetEffectiveProfile, P.GetEffectiveProfileRequest(name=text)),
        (prof.UpdateProfile, P.UpdateProfileRequest(profile=P.Profile(name=text), update_mask=mask)),
        (sup.GetCase, S.GetCaseRequest(name=text)),
        (sup.AssignCase, S.AssignCaseRequest(name=text, assignee=text)),
        (sup.ResolveCase, S.ResolveCaseRequest(name=text, resolution=text)),
        (sup.CreateCaseNote, S.CreateCaseNoteRequest(parent=text, note=S.CaseNote(text=text))),
        (sup.ListCaseNotes, S.ListCaseNotesRequest(parent=text, page_token=text)),
        (sup.ListCases, S.ListCasesRequest(parent=ACME, customer=text, page_token=text)),
        (sup.CreateCase, S.CreateCaseRequest(parent=ACME, support_case=S.SupportCase(customer=text, subject=text))),
        (sup.CreateFeedback, S.CreateFeedbackRequest(parent=text, feedback=S.Feedback(rating=3, category=1))),
        (sup.ListFeedback, S.ListFeedbackRequest(parent=text, page_token=text)),
        (c360.GetCustomer360, V.GetCustomer360Request(customer=text)),
    ]


@pytest.mark.parametrize("text", ODD)
def test_odd_names_are_clean_errors(stubs, text):
    for method, request in _calls(stubs, text):
        failure = call_error(method, request)
        assert failure.code in CLEAN, f"{type(request).__name__}: {failure.describe()}"


_ints = st.integers(min_value=-(2**31), max_value=2**31 - 1)
_longs = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_text = st.text(max_size=60)
_date = st.builds(lambda y, m, d: {"year": y, "month": m, "day": d}, _ints, _ints, _ints)
_method = st.one_of(
    st.builds(lambda t: P.PaymentMethod(card_token=t), _text),
    st.builds(lambda t: P.PaymentMethod(account=t), _text),
    st.builds(lambda p, r: P.PaymentMethod(wallet=P.WalletMethod(provider=p, reference=r)), _text, _text),
    st.builds(lambda a, s: P.PaymentMethod(bank_transfer=P.BankTransferMethod(account=a, scheme=s)), _text, _text),
    st.just(P.PaymentMethod()),
)
_profile = st.builds(
    lambda cur, lang, methods, order, outs, th, tz, hours: P.Profile(
        preferred_currency=cur,
        preferred_language=lang,
        default_payment_methods=methods,
        contact_preferences=P.ContactPreferences(
            channel_order=order,
            opt_outs=[P.OptOut(channel=c, purpose=p, opt_back_in=b) for c, p, b in outs],
            quiet_hours=P.QuietHours(
                start={"hours": hours[0], "minutes": hours[1]}, end={"hours": hours[2]}, time_zone=tz
            ),
        ),
        payment_thresholds=[
            P.PaymentThreshold(
                currency_code=c, per_transaction_limit_minor=a, daily_limit_minor=b, effective_from=f, effective_until=u
            )
            for c, a, b, f, u in th
        ],
    ),
    _text,
    _text,
    st.dictionaries(st.sampled_from(["POS", "ECOMMERCE", "MOTO", "pos", "", "ATM\n"]), _method, max_size=4),
    st.lists(_ints, max_size=6),
    st.lists(st.tuples(_ints, _ints, st.booleans()), max_size=5),
    st.lists(st.tuples(_text, _longs, _longs, _date, _date), max_size=4),
    st.one_of(_text, st.sampled_from(["UTC", "Europe/Tallinn", "../../etc/passwd", "Etc/GMT+5"])),
    st.tuples(_ints, _ints, _ints),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(profile=_profile)
def test_random_profiles_are_accepted_or_cleanly_refused(admin, stubs, profile):
    customer = getattr(test_random_profiles_are_accepted_or_cleanly_refused, "_customer", None)
    if customer is None:
        customer = create_customer(admin).name
        test_random_profiles_are_accepted_or_cleanly_refused._customer = customer  # type: ignore[attr-defined]
    profile.name = f"{customer}/profile"
    request = P.UpdateProfileRequest(profile=profile, update_mask=field_mask_pb2.FieldMask(paths=["*"]))
    try:
        stubs[0].UpdateProfile(request, timeout=30)
    except grpc.RpcError as err:
        assert err.code() in CLEAN, f"{err.code()}: {err.details()}"  # type: ignore[attr-defined]
