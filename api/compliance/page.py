"""The compliance report as a plain, accessible HTML page (no scripts): a table per finding type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from api.compliance.rules import (
    ABOVE_REVIEW_THRESHOLD,
    CIRCULAR_TRADE,
    LARGE_FINANCING,
    OVERDUE_RECEIVABLE,
    RAPID_SPLIT_TRANSFER,
    UNREVIEWED_FINANCING,
)
from api.trade.money import from_minor

Finding = dict[str, Any]
Names = dict[str, Any]
Column = tuple[str, Callable[[Finding, Names], str]]  # header, cell (HTML)

STYLE = (
    "body{font-family:sans-serif;margin:2em;line-height:1.4}table{border-collapse:collapse;margin:1em 0}"
    "caption{text-align:left;font-weight:bold;padding:.3em 0}td,th{border:1px solid #777;padding:.3em .6em;"
    "text-align:left;vertical-align:top}code{font-size:.9em}"
)


def _id(value: str | None) -> str:
    if value is None:
        return "—"
    short = value if len(value) <= 14 else f"{value[:8]}…{value[-4:]}"
    return f'<code title="{escape(value)}">{escape(short)}</code>'


def _org(org: str | None, names: Names) -> str:
    if org is None:
        return "—"
    name = names.get(org, {}).get("name")
    return f"{escape(name)} ({_id(org)})" if name else _id(org)


def _money(amount: int | None, currency: str | None) -> str:
    if amount is None or currency is None:
        return "—"
    return f"{escape(currency)} {Decimal(from_minor(amount, currency)):,}"  # grouped: USD 1,250.00


def _amount(f: Finding, _: Names) -> str:
    return _money(f["amount_minor"], f["currency"])


def _detail(key: str) -> Callable[[Finding, Names], str]:
    return lambda f, _: escape(str(f["details"][key]))


def _org_of(key: str) -> Callable[[Finding, Names], str]:
    return lambda f, names: _org(f["details"][key], names)


def _detail_money(key: str) -> Callable[[Finding, Names], str]:
    return lambda f, _: _money(f["details"][key], f["currency"])


def _yes(key: str) -> Callable[[Finding, Names], str]:
    return lambda f, _: "yes" if f["details"][key] else "no"


def _when(e: dict[str, Any]) -> str:
    """Where an event stands on chain: its time, block and transaction."""
    return f"{escape(e['at'])}, block {e['block']}, tx {_id(e['tx'])}"


def _evidence(f: Finding, _: Names) -> str:
    items = "".join(f"<li>{escape(e['event'])}: {_when(e)}</li>" for e in f["evidence"])
    return f"<ul>{items}</ul>"


def _hop(h: dict[str, Any], names: Names) -> str:
    what = f"{escape(h['kind'])} of {_id(h['receivable'])} ({_money(h['amount_minor'], h['currency'])})"
    if h["kind"] == "split":
        return f"{what} by {_org(h['from'], names)}, {_when(h)}"
    return f"{what} from {_org(h['from'], names)} to {_org(h['to'], names)}, {_when(h)}"


def _hops(f: Finding, names: Names) -> str:
    return "<ol>" + "".join(f"<li>{_hop(h, names)}</li>" for h in f["details"]["hops"]) + "</ol>"


def _cycle(f: Finding, names: Names) -> str:
    return " → ".join(_org(o, names) for o in f["details"]["cycle"])


def _edge(e: dict[str, Any]) -> str:
    kind = escape(e["kind"].replace("_", " "))
    return f"{kind} {_id(e['object'])} {_money(e['amount_minor'], e['currency'])} ({_when(e)})"


def _links(f: Finding, names: Names) -> str:
    items = "".join(
        f"<li>{_org(link['from'], names)} → {_org(link['to'], names)}: "
        + "; ".join(_edge(e) for e in link["edges"])
        + "</li>"
        for link in f["details"]["links"]
    )
    return f"<ul>{items}</ul>"


def _review(f: Finding, names: Names) -> str:
    r = f["details"]["review"]
    text = escape(r["status"].replace("_", " "))
    if r["status"] == "approved":
        text += f" by {_org(r['by_org'], names)}, account {_id(r['by_account'])}"
    if r["tx"]:
        text += f", {_when(r)}"
    return text + f" (waited {r['waited_seconds'] // 60} min)"


FINANCING: list[Column] = [
    ("Financing", lambda f, _: _id(f["details"]["financing"])),
    ("Receivable", lambda f, _: _id(f["details"]["receivable"])),
    ("Holder", _org_of("holder")),
    ("Financier", _org_of("financier")),
    ("Advance", _amount),
    ("Threshold", _detail_money("threshold_minor")),
]
REVIEWED: list[Column] = [*FINANCING, ("Accepted", _detail("accepted_at")), ("Review", _review)]
SECTIONS: list[tuple[str, str, list[Column]]] = [
    (
        LARGE_FINANCING,
        "Large financings",
        [*FINANCING, ("Funded", _detail("funded_at")), ("Evidence", _evidence)],
    ),
    (
        RAPID_SPLIT_TRANSFER,
        "Rapid split-and-transfer chains",
        [
            ("Original receivable", lambda f, _: _id(f["details"]["lineage"])),
            ("Hops", _detail("hop_count")),
            ("Span (seconds)", _detail("span_seconds")),
            ("Value at the first hop", _amount),
            ("Chain of hops, in order", _hops),
        ],
    ),
    (
        CIRCULAR_TRADE,
        "Circular trades between related organisations",
        [("Cycle", _cycle), ("Value round the cycle", _amount), ("Links", _links)],
    ),
    (ABOVE_REVIEW_THRESHOLD, "Financings above the review threshold and their review", REVIEWED),
    (UNREVIEWED_FINANCING, "Financings above the review threshold without an approved review", REVIEWED),
    (
        OVERDUE_RECEIVABLE,
        "Overdue receivables",
        [
            ("Receivable", lambda f, _: _id(f["details"]["receivable"])),
            ("Debtor", _org_of("debtor")),
            ("Holder", _org_of("holder")),
            ("Face value", _detail_money("face_value_minor")),
            ("Repaid", _detail_money("repaid_minor")),
            ("Outstanding", _amount),
            ("Due", _detail("due_date")),
            ("Days overdue", _detail("days_overdue")),
            ("Financed", _yes("financed")),
            ("Recourse claimed", _yes("recourse_claimed")),
        ],
    ),
]


def _table(code: str, title: str, columns: Sequence[Column], found: list[Finding], names: Names) -> str:
    slug = code.lower()
    heading = f'<h2 id="{slug}">{escape(title)} <small>({escape(code)}, {len(found)})</small></h2>'
    if not found:
        return f'<section aria-labelledby="{slug}">{heading}<p>No findings.</p></section>'
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h, _ in columns)
    rows = "".join(
        "<tr>"
        + "".join(
            (f'<th scope="row">{cell(f, names)}</th>' if i == 0 else f"<td>{cell(f, names)}</td>")
            for i, (_, cell) in enumerate(columns)
        )
        + "</tr>"
        for f in found
    )
    caption = f"{escape(title)}: {len(found)} finding{'s' if len(found) != 1 else ''}"
    return (
        f'<section aria-labelledby="{slug}">{heading}<table><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def render(report: dict[str, Any]) -> str:
    """The page for a report as ``build_report`` returns it."""
    period, names = report["period"], report["organisations"]
    title = f"Compliance report {period['from']} to {period['to']}"
    scope = (
        "the whole consortium"
        if report["scope"]["consortium"]
        else "the organisations that authorised this auditor: "
        + (", ".join(_org(o, names) for o in report["scope"]["organisations"]) or "none")
    )
    summary = "".join(
        f'<li><a href="#{code.lower()}">{escape(code)}</a>: {count}</li>'
        for code, count in report["counts"].items()
    )
    sections = "".join(
        _table(code, heading, columns, report["findings"][code], names) for code, heading, columns in SECTIONS
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(title)}</h1>"
        f"<p>State as of {escape(period['as_of'])}; index at block {report['index']['block']}; "
        f"scope: {scope}. Generated {escape(report['generated_at'])}.</p>"
        f"<p>Report hash (keccak256 of the canonical JSON): <code>{escape(report['report_hash'])}</code></p>"
        f'<nav aria-label="Findings by type"><ul>{summary}</ul></nav>{sections}</main></body></html>'
    )
