"""Postpaid invoices: one per contract, month and currency, numbered gap-free per year.

The invoice lists every CDR of the contract whose session ended in the month (UTC),
credits and replacements included, one line each at the CDR's total excl. VAT. VAT is
computed per rate on the sum of that rate's bases (from the CDRs' VAT breakdown) and
rounded once per rate. The JSON is the record; HTML and PDF (fpdf2) are rendered from it
when the invoice is issued and stored with it: an issued invoice never changes.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import orjson
from fpdf import FPDF

from chargeplane.config import Settings
from chargeplane.domain.billing.money import minor_units
from chargeplane.rpc.errors import InvalidArgument, NotFound

from .outbox import emit

COLUMNS = "id, contract_id, period, currency, total_excl, total_vat, total_incl, body, created_at"


def _q(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def compute(contract: Any, period: str, currency: str, cdrs: list[Any], issuer: dict[str, str]) -> dict[str, Any]:
    lines: list[dict[str, str]] = []
    bases: dict[str, Decimal] = {}
    for c in cdrs:
        body = orjson.loads(c["body"])
        sign = Decimal(-1) if c["kind"] == "credit" else Decimal(1)
        lines.append(
            {
                "cdr_id": c["id"],
                "kind": c["kind"],
                "date": body["end_date_time"],
                "charge_point_id": c["charge_point_id"],
                "energy_kwh": str(body["total_energy"]),
                "amount_excl_vat": str(c["total_excl_vat"]),
            }
        )
        for vat in orjson.loads(c["vat_lines"]) if c["kind"] != "credit" else _credited_vat(cdrs, c):
            key = vat["rate"] or "unknown"
            bases[key] = bases.get(key, Decimal(0)) + sign * Decimal(vat["base"])
    vat_lines = []
    for rate, base in sorted(bases.items()):
        vat = Decimal(0) if rate == "unknown" else base * Decimal(rate) / 100
        vat_lines.append({"rate": rate, "base": str(_q(base, currency)), "vat": str(_q(vat, currency))})
    total_excl = sum((Decimal(x["amount_excl_vat"]) for x in lines), Decimal(0))
    total_vat = sum((Decimal(v["vat"]) for v in vat_lines), Decimal(0))
    return {
        "period": period,
        "currency": currency,
        "issuer": issuer,
        "customer": {k: contract[k] for k in ("contract_id", "name", "address", "email", "vat_id")},
        "lines": lines,
        "vat_lines": vat_lines,
        "total_excl_vat": str(_q(total_excl, currency)),
        "total_vat": str(_q(total_vat, currency)),
        "total_incl_vat": str(_q(total_excl, currency) + _q(total_vat, currency)),
    }


def _credited_vat(cdrs: list[Any], credit: Any) -> list[dict[str, Any]]:
    for c in cdrs:
        if c["id"] == credit["credit_reference_id"]:
            return list(orjson.loads(c["vat_lines"]))
    return []


def render_html(invoice_id: str, body: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(x['date'][:10])}</td><td>{e(x['cdr_id'])}</td><td>{e(x['charge_point_id'])}</td>"
        f"<td class=n>{e(x['energy_kwh'])}</td><td class=n>{e(x['amount_excl_vat'])}</td></tr>"
        for x in body["lines"]
    )
    vat = "".join(
        f"<tr><td>VAT {e(v['rate'])}%</td><td class=n>{e(v['base'])}</td><td class=n>{e(v['vat'])}</td></tr>"
        for v in body["vat_lines"]
    )
    c, cur = body["customer"], e(body["currency"])
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>Invoice {e(invoice_id)}</title>"
        "<style>td.n{text-align:right}table{border-collapse:collapse}td,th{padding:2px 8px}</style></head><body>"
        f"<h1>Invoice {e(invoice_id)}</h1><p>{e(body['issuer']['name'])}<br>VAT {e(body['issuer']['vat_id'])}</p>"
        f"<p>To: {e(c['name'])}<br>{e(c['address'])}<br>Contract {e(c['contract_id'])}</p>"
        f"<p>Period {e(body['period'])}</p><table><tr><th>Date</th><th>CDR</th><th>Charge point</th>"
        f"<th>kWh</th><th>Amount excl. VAT ({cur})</th></tr>{rows}</table>"
        f"<table><tr><th>VAT</th><th>Base</th><th>Amount</th></tr>{vat}</table>"
        f"<p>Total excl. VAT {e(body['total_excl_vat'])} {cur}<br>VAT {e(body['total_vat'])} {cur}<br>"
        f"<strong>Total {e(body['total_incl_vat'])} {cur}</strong></p></body></html>"
    )


def _latin1(text: str) -> str:
    return re.sub(r"[^\x20-\xff]", "?", text)


def render_pdf(invoice_id: str, body: dict[str, Any]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"Invoice {invoice_id}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    c = body["customer"]
    for text in (body["issuer"]["name"], f"VAT {body['issuer']['vat_id']}", "", f"To: {c['name']}", c["address"],
                 f"Contract {c['contract_id']}", f"Period {body['period']}", ""):  # fmt: skip
        pdf.cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    cur = body["currency"]
    with pdf.table(col_widths=(25, 40, 45, 25, 40), text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT")) as table:
        table.row(["Date", "CDR", "Charge point", "kWh", f"Excl. VAT ({cur})"])
        for x in body["lines"]:
            table.row(
                [x["date"][:10], x["cdr_id"], _latin1(x["charge_point_id"]), x["energy_kwh"], x["amount_excl_vat"]]
            )
    pdf.ln(4)
    for v in body["vat_lines"]:
        pdf.cell(0, 5, f"VAT {v['rate']}% on {v['base']} {cur}: {v['vat']} {cur}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    for label, key in (("Total excl. VAT", "total_excl_vat"), ("VAT", "total_vat"), ("Total", "total_incl_vat")):
        pdf.cell(0, 6, f"{label}: {body[key]} {cur}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


class InvoiceStore:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings

    async def upsert_contract(self, c: dict[str, Any]) -> None:
        if not c["contract_id"] or not c["name"]:
            raise InvalidArgument("contract_id and name are required")
        await self.pool.execute(
            "INSERT INTO billing_contracts (contract_id, name, address, email, vat_id, id_tokens) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (contract_id) DO UPDATE SET name = EXCLUDED.name, "
            "address = EXCLUDED.address, email = EXCLUDED.email, vat_id = EXCLUDED.vat_id, "
            "id_tokens = EXCLUDED.id_tokens, updated_at = now()",
            c["contract_id"],
            c["name"],
            c["address"],
            c["email"],
            c["vat_id"],
            sorted(set(c["id_tokens"])),
        )

    async def issue(self, contract_id: str, period: str, currency: str) -> tuple[Any, bool]:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            raise InvalidArgument("period must be YYYY-MM")
        currency = (currency or "EUR").upper()
        year, month = int(period[:4]), int(period[5:])
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        async with self.pool.acquire() as conn, conn.transaction():
            contract = await conn.fetchrow("SELECT * FROM billing_contracts WHERE contract_id = $1", contract_id)
            if contract is None:
                raise NotFound(f"contract {contract_id!r} not found")
            series = f"invoice:{year}"
            await conn.execute("INSERT INTO billing_counters (series) VALUES ($1) ON CONFLICT DO NOTHING", series)
            number = await conn.fetchval(
                "UPDATE billing_counters SET next_no = next_no + 1 WHERE series = $1 RETURNING next_no - 1", series
            )
            existing = await conn.fetchrow(
                f"SELECT {COLUMNS} FROM billing_invoices WHERE contract_id = $1 AND period = $2 AND currency = $3",
                contract_id,
                period,
                currency,
            )
            if existing is not None:
                raise _Exists(existing)  # roll back the number
            cdrs = await conn.fetch(
                "SELECT id, kind, charge_point_id, credit_reference_id, total_excl_vat, body, vat_lines "
                "FROM billing_cdrs WHERE contract_id = $1 AND currency = $2 AND end_date_time >= $3 "
                "AND end_date_time < $4 ORDER BY end_date_time, number",
                contract_id,
                currency,
                start,
                end,
            )
            invoice_id = f"INV-{year}-{number:06d}"
            issuer = {"name": self.settings.invoice_issuer, "vat_id": self.settings.invoice_issuer_vat_id}
            body = compute(contract, period, currency, list(cdrs), issuer)
            row = await conn.fetchrow(
                "INSERT INTO billing_invoices (id, number, contract_id, period, currency, total_excl, total_vat, "
                "total_incl, body, html, pdf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                f"RETURNING {COLUMNS}",
                invoice_id,
                number,
                contract_id,
                period,
                currency,
                Decimal(body["total_excl_vat"]),
                Decimal(body["total_vat"]),
                Decimal(body["total_incl_vat"]),
                orjson.dumps(body).decode(),
                render_html(invoice_id, body),
                render_pdf(invoice_id, body),
            )
            await emit(conn, "invoice.issued", {"invoice_id": invoice_id, **body})
            return row, True

    async def issue_or_existing(self, contract_id: str, period: str, currency: str) -> tuple[Any, bool]:
        try:
            return await self.issue(contract_id, period, currency)
        except _Exists as found:
            return found.row, False

    async def get(self, invoice_id: str) -> Any:
        row = await self.pool.fetchrow(f"SELECT {COLUMNS}, html, pdf FROM billing_invoices WHERE id = $1", invoice_id)
        if row is None:
            raise NotFound(f"invoice {invoice_id!r} not found")
        return row


class _Exists(Exception):
    def __init__(self, row: Any) -> None:
        self.row = row
