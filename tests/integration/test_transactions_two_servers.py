"""Two server processes on one store record transactions for the same customers concurrently (each also
re-sending the other's ids): no aggregate update is lost and no transaction counts twice."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from crs.v1 import insight_pb2, transaction_pb2
from tests.helpers.data import ACME
from tests.helpers.transactions import payer, record, stubs, txn

T = transaction_pb2


def test_two_processes_lose_no_aggregate_update(server_factory: Any) -> None:
    first = server_factory().start()
    second = server_factory(sibling_of=first).start()
    clients = first.clients("acme-admin")
    payers = [payer(clients) for _ in range(3)]
    month = dt.datetime.now(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month = (month - dt.timedelta(days=1)).replace(day=1)  # last month: every time below is in the past
    items = [
        txn(payers[i % 3].token, amount=100 + i, when=month + dt.timedelta(hours=i % 600, minutes=i))
        for i in range(240)
    ]
    batches = [items[i : i + 10] for i in range(0, len(items), 10)]
    errors: list[BaseException] = []

    def run(server: Any, mine: list[list[transaction_pb2.TransactionInput]]) -> None:
        s = stubs(server)
        try:
            for batch in mine:
                resp = record(s, batch)
                assert resp.rejected == 0, resp
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(first, batches[0::2] + batches[1::2])),
        threading.Thread(target=run, args=(second, batches[1::2] + batches[0::2])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    s = stubs(first)
    for k, p in enumerate(payers):
        mine = [i for n, i in enumerate(items) if n % 3 == k]
        ins = s.insights.GetCustomerInsights(
            insight_pb2.GetCustomerInsightsRequest(
                parent=ACME,
                customer=p.customer,
                end_month=insight_pb2.YearMonth(year=month.year, month=month.month),
                months=1,
            ),
            timeout=30,
        )
        assert ins.spend_count == len(mine)
        eur = {t.currency_code: t for t in ins.by_currency}["EUR"]
        assert eur.amount_minor == sum(i.transaction.amount_minor for i in mine)
        listed = s.transactions.ListTransactions(
            T.ListTransactionsRequest(parent=ACME, customer=p.customer, page_size=1000), timeout=30
        )
        assert sorted(t.name.rsplit("/", 1)[1] for t in listed.transactions) == sorted(i.transaction_id for i in mine)
