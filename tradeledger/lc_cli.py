"""``tradeledger lc``: letters of credit from the command line, through the same service as the API.

Each command acts as one organisation (``--org``, a handle or an 0x… id) whose signing key this
platform holds: the applicant applies, the issuing bank issues, amends, examines, refuses and
honours, the advising bank advises, the beneficiary accepts amendments and presents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from api.credit.schemas import PresentationOut
from chain.errors import InvalidInput, TradeLedgerError

lc_app = typer.Typer(
    help="Letters of credit (UCP 600): apply, issue, advise, amend, present, examine, refuse, waive, honour.",
    no_args_is_help=True,
)
console = Console()
Org = Annotated[str, typer.Option("--org", help="acting organisation: handle (harbour-bank) or 0x… id")]
File = Annotated[
    Path, typer.Option("--file", exists=True, dir_okay=False, help="a JSON body, as the API takes")
]
B = TypeVar("B", bound=BaseModel)


def _org_id(value: str) -> str:
    from chain.ids import to_hex32
    from tradeledger.fleet import resolve_org

    return to_hex32(resolve_org(value))


def _body(model: type[B], path: Path, org_fields: tuple[str, ...] = ()) -> B:
    """The JSON file as the API's body; organisation fields may be handles."""
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        for name in org_fields:
            if isinstance(data.get(name), str):
                data[name] = _org_id(data[name])
        return model.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise InvalidInput(f"{path}: {exc}", code="invalid_request") from None


def _run(org: str, action: Callable[[Any, Any, Session], BaseModel]) -> Any:
    """Run ``action(service, caller, session)`` as ``org``; print a problem and exit 1 on failure."""
    from api.credit.service import CreditService
    from tradeledger.runtime import open_stack
    from tradeledger.story import caller_for

    try:
        stack = open_stack()
        stack.indexer.sync()
        with Session(stack.engine) as session:
            caller = caller_for(session, org)
            return action(CreditService(session, stack.chain, stack.indexer), caller, session)
    except TradeLedgerError as exc:
        console.print(f"[bold red]error[/] [dim]({exc.code})[/]: {exc.detail}")
        raise typer.Exit(1) from None


def _show(out: Any) -> None:
    if isinstance(out, PresentationOut):
        _presentation(out)
        return
    console.print(
        f"credit {out.id} ({out.number}): [bold]{out.status}[/], {out.currency}, "
        f"drawn {out.drawn_minor}, available {out.available_minor} (minor units)"
    )
    for a in out.amendments:
        console.print(f"  amendment {a.number}: {a.status} {a.changes}")
    for p in out.presentations:
        console.print(f"  presentation {p.id}: {p.status}, {p.amount_minor} minor")


def _presentation(out: PresentationOut) -> None:
    console.print(f"presentation {out.id}: [bold]{out.status}[/], {out.amount_minor} minor")
    if out.receivable_id:
        console.print(f"deferred payment accepted: receivable {out.receivable_id}")
    report = getattr(out, "report", None)
    if report is None:
        return
    if report.complying:
        console.print(f"[green]complying[/] ({report.engine}, report {report.result_hash})")
        return
    table = Table(title=f"discrepancies ({report.engine}, report {report.result_hash})")
    for column in ("code", "document", "detail", "reference"):
        table.add_column(column)
    for d in report.discrepancies:
        table.add_row(d.code, d.document, d.detail, d.reference)
    console.print(table)


@lc_app.command("apply")
def apply(org: Org, file: File) -> None:
    """The applicant applies: the full terms (JSON as POST /letters-of-credit; parties may be handles)."""
    from api.credit.schemas import CreditIn

    body = _body(CreditIn, file, ("issuing_bank", "advising_bank", "beneficiary"))
    _show(_run(org, lambda svc, caller, _s: svc.apply(caller, body)))


@lc_app.command("issue")
def issue(credit: str, org: Org) -> None:
    """The issuing bank issues the credit."""
    _show(_run(org, lambda svc, caller, _s: svc.issue(caller, credit)))


@lc_app.command("advise")
def advise(credit: str, org: Org) -> None:
    """The advising bank advises the credit to the beneficiary."""
    _show(_run(org, lambda svc, caller, _s: svc.advise(caller, credit)))


@lc_app.command("amend")
def amend(credit: str, org: Org, file: File) -> None:
    """The issuing bank proposes an amendment (binding only once the beneficiary accepts it)."""
    from api.credit.schemas import AmendmentIn

    body = _body(AmendmentIn, file)
    _show(_run(org, lambda svc, caller, _s: svc.amend(caller, credit, body)))


@lc_app.command("accept-amendment")
def accept_amendment(credit: str, number: int, org: Org) -> None:
    """The beneficiary accepts amendment ``number``."""
    _show(_run(org, lambda svc, caller, _s: svc.settle_amendment(caller, credit, number, accept=True)))


@lc_app.command("reject-amendment")
def reject_amendment(credit: str, number: int, org: Org) -> None:
    """The beneficiary rejects amendment ``number``."""
    _show(_run(org, lambda svc, caller, _s: svc.settle_amendment(caller, credit, number, accept=False)))


@lc_app.command("present")
def present(credit: str, org: Org, file: File) -> None:
    """The beneficiary presents its documents (JSON as POST /letters-of-credit/{id}/presentations)."""
    from api.credit.schemas import PresentationIn

    body = _body(PresentationIn, file)
    _show(_run(org, lambda svc, caller, _s: svc.present(caller, credit, body)))


@lc_app.command("examine")
def examine(presentation: str, org: Org) -> None:
    """The issuing bank examines a presentation (UCP 600 engine) and records the result on chain."""
    _show(_run(org, lambda svc, caller, _s: svc.examine(caller, presentation)))


@lc_app.command("refuse")
def refuse(presentation: str, org: Org) -> None:
    """The issuing bank refuses a discrepant presentation: one notice listing every discrepancy."""
    _show(_run(org, lambda svc, caller, _s: svc.refuse(caller, presentation)))


@lc_app.command("waive")
def waive(presentation: str, org: Org) -> None:
    """The applicant waives the discrepancies of a refused presentation."""
    _show(_run(org, lambda svc, caller, _s: svc.waive(caller, presentation)))


@lc_app.command("honour")
def honour(presentation: str, org: Org) -> None:
    """The issuing bank honours: pays at sight, or accepts a deferred payment (a receivable)."""
    _show(_run(org, lambda svc, caller, _s: svc.honour(caller, presentation)))


@lc_app.command("show")
def show(credit: str, org: Org) -> None:
    """A credit you are a party of: status, terms, drawn, available, presentations."""
    _show(_run(org, lambda svc, caller, _s: svc.out(svc.visible(caller, credit))))


@lc_app.command("expire")
def expire(credit: str, org: Org) -> None:
    """Any party closes a credit once its expiry date has passed."""
    _show(_run(org, lambda svc, caller, _s: svc.expire(caller, credit)))


@lc_app.command("cancel")
def cancel(credit: str, org: Org) -> None:
    """The applicant withdraws its application, or the issuing bank cancels before advice."""
    _show(_run(org, lambda svc, caller, _s: svc.cancel(caller, credit)))
