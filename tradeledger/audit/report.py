"""What a verification found: facts read from the chain, the event history, and each check
with its verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from chain.audit import AuditChain
from chain.events import ChainEvent


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    detail: str


@dataclass
class Report:
    """One record's verification. ``ok`` only when at least one check ran and every check passed."""

    kind: str
    subject: str
    facts: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def check(self, what: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(what, bool(ok), detail))
        return bool(ok)

    def add_history(self, audit: AuditChain, events: list[ChainEvent]) -> None:
        for e in sorted(events, key=lambda e: (e.block_number, e.log_index)):
            self.history.append(
                {
                    "event": f"{e.contract}.{e.name}",
                    **audit.anchor(e).as_dict(),
                    "log_index": e.log_index,
                    "args": e.args,
                }
            )

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "verified": self.ok,
            "facts": self.facts,
            "history": self.history,
            "checks": [{"what": c.what, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


def render(report: Report, console: Console) -> None:
    """The report as a person reads it: facts, history, then every check with ✓ or ✗."""
    verdict = "[green]VERIFIED[/]" if report.ok else "[red]NOT VERIFIED[/]"
    console.print(f"\n[bold]{report.kind} {report.subject}[/]  {verdict}")
    if report.facts:
        facts = Table(show_header=False, box=None, pad_edge=False)
        for key, value in report.facts.items():
            facts.add_row(f"[dim]{key}[/]", str(value))
        console.print(facts)
    if report.history:
        history = Table(title="history on chain", title_justify="left")
        for column in ("block", "time (UTC)", "event", "tx"):
            history.add_column(column)
        for h in report.history:
            history.add_row(str(h["block"]), h["time"], h["event"], h["tx_hash"][:18] + "…")
        console.print(history)
    checks = Table(title="checks", title_justify="left")
    checks.add_column("")
    checks.add_column("check")
    checks.add_column("detail")
    for c in report.checks:
        checks.add_row("[green]✓[/]" if c.ok else "[red]✗[/]", c.what, c.detail)
    console.print(checks)
