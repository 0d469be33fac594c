"""``tradeledger compliance``: the compliance report from the command line, by the same service as
``GET /api/v1/compliance/report``, over this platform's index (synced first) and chain."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from chain.errors import TradeLedgerError

compliance_app = typer.Typer(
    help="Compliance reports: large financings, rapid split-and-transfer chains, circular trades, "
    "reviews above the threshold, overdue receivables.",
    no_args_is_help=True,
)
console = Console()


def _summary(finding: dict[str, Any]) -> str:
    d = finding["details"]
    if "hops" in d:
        return f"{d['hop_count']} hops in {d['span_seconds']} s"
    if "cycle" in d:
        return " → ".join(o[:10] + "…" for o in d["cycle"])
    if "review" in d:
        return f"threshold {d['threshold_minor']}, review {d['review']['status']}"
    if "days_overdue" in d:
        return f"{d['days_overdue']} days overdue, outstanding {d['outstanding_minor']}"
    return f"threshold {d['threshold_minor']}"


def _print(report: dict[str, Any]) -> None:
    period = report["period"]
    console.print(
        f"compliance report {period['from']} → {period['to']} (state as of {period['as_of']}, "
        f"index block {report['index']['block']})"
    )
    table = Table(title=f"findings (report hash {report['report_hash']})")
    for column in ("code", "object", "organisations", "amount (minor)", "what"):
        table.add_column(column)
    for code, found in report["findings"].items():
        for f in found:
            amount = "" if f["amount_minor"] is None else f"{f['amount_minor']} {f['currency']}"
            names = ", ".join(
                report["organisations"].get(o, {}).get("name", o[:10]) for o in f["organisations"]
            )
            table.add_row(code, f["objects"][0][:18] + "…", names, amount, _summary(f))
    console.print(table)
    console.print(", ".join(f"{code} {n}" for code, n in report["counts"].items()))


@compliance_app.command("report")
def report(
    start: Annotated[str, typer.Option("--from", help="ISO 8601 with a timezone (included)")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601 with a timezone (excluded)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="also write the readable page here")] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="report as this auditor or regulator (default: the operator)")
    ] = None,
    large_financing: Annotated[
        list[str] | None, typer.Option(help="CURRENCY:MINOR_UNITS, repeatable (default 1,000,000.00)")
    ] = None,
    rapid_hops: Annotated[int, typer.Option(help="hops that make a rapid chain")] = 3,
    rapid_window_hours: Annotated[int, typer.Option(help="the window of a rapid chain")] = 24,
) -> None:
    """The report on a period: every finding with its objects, organisations, amount and evidence."""
    from sqlmodel import Session

    from api.compliance.page import render
    from api.compliance.records import Period
    from api.compliance.rules import Parameters
    from api.compliance.service import RpcFacts, build_report, scope_for
    from tradeledger.runtime import open_stack
    from tradeledger.story import caller_for

    try:
        period = Period.parse(start, end)
        params = Parameters(
            Parameters.parse_large(large_financing or ()), rapid_hops, timedelta(hours=rapid_window_hours)
        )
        stack = open_stack()
        stack.indexer.sync()
        with Session(stack.engine) as session:
            scope = scope_for(session, caller_for(session, org)) if org else None
            out = build_report(session, RpcFacts(stack.chain), period, params, scope)
    except TradeLedgerError as exc:
        console.print(f"[bold red]error[/] [dim]({exc.code})[/]: {exc.detail}")
        raise typer.Exit(1) from None
    if html is not None:
        html.write_text(render(out), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(out, indent=2, sort_keys=True))
    else:
        _print(out)
        if html is not None:
            console.print(f"page written to {html}")
