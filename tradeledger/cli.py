"""The ``tradeledger`` command line (Typer + rich)."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from chain.config import network_settings
from chain.errors import TradeLedgerError
from tradeledger.audit.cli import audit_app, verify
from tradeledger.compliance_cli import compliance_app
from tradeledger.lc_cli import lc_app

app = typer.Typer(
    name="tradeledger",
    help="Permissioned-blockchain ledger for supply chain finance and carbon accounting.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
orgs_app = typer.Typer(help="Consortium organisations.", no_args_is_help=True)
governance_app = typer.Typer(
    help="Dual control (雙人雙鎖): one officer proposes, a second approves, any officer executes after "
    "the delay.",
    no_args_is_help=True,
)
carbon_app = typer.Typer(help="Emission statements: compute, submit, verify.", no_args_is_help=True)
devices_app = typer.Typer(
    help="IoT devices: provisioning on chain, key rotation, revocation.", no_args_is_help=True
)
keys_app = typer.Typer(help="Signing keys (encrypted keystores) and API keys.", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
app.add_typer(keys_app, name="keys")
app.add_typer(governance_app, name="governance")
app.add_typer(devices_app, name="devices")
app.add_typer(carbon_app, name="carbon")
app.add_typer(lc_app, name="lc")
app.add_typer(compliance_app, name="compliance")
app.add_typer(audit_app, name="audit")
console = Console()


def _fail(exc: TradeLedgerError) -> None:
    console.print(f"[bold red]error[/] [dim]({exc.code})[/]: {exc.detail}")
    raise typer.Exit(1)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@app.command()
def up(
    port: Annotated[int | None, typer.Option(help="API port (default TRADELEDGER_API_PORT or 8000).")] = None,
) -> None:
    """Start the whole stack: chain (embedded anvil by default), contracts, demo consortium, API."""
    from tradeledger.supervisor import run_stack

    try:
        run_stack(console, api_port=port)
    except TradeLedgerError as exc:
        _fail(exc)


@app.command("api")
def api_command(
    host: Annotated[str | None, typer.Option(help="Bind address (default TRADELEDGER_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default TRADELEDGER_API_PORT or 8000).")] = None,
) -> None:
    """Serve the API and web UI alone, on the running chain and database (restartable at any time)."""
    from tradeledger.processes import serve_api

    try:
        serve_api(console, host=host, port=port)
    except TradeLedgerError as exc:
        _fail(exc)


@app.command("indexer")
def indexer_command(
    interval: Annotated[float, typer.Option(help="Seconds between looks at the chain head.")] = 1.0,
) -> None:
    """Follow the chain and keep the database index in step (restartable at any time)."""
    from tradeledger.processes import follow_chain

    try:
        follow_chain(console, interval=interval)
    except TradeLedgerError as exc:
        _fail(exc)


@app.command()
def deploy() -> None:
    """Compile and deploy the contracts to the configured network (no-op if already deployed)."""
    from api.settings import get_settings
    from chain.compiler import compile_project
    from tradeledger.runtime import connect_chain, deploy_if_needed, embedded_node, rpc_url, running_node_url

    try:
        settings = get_settings()
        network = network_settings()
        with console.status("compiling contracts"):
            compile_project()
        with ExitStack() as resources:
            if network.kind == "embedded" and running_node_url() is None:
                url = resources.enter_context(embedded_node(network)).url
            else:
                url = rpc_url(network)
            chain = connect_chain(settings, url, network, load=False)
            deploy_if_needed(chain, lambda msg: console.print(f"  {msg}"))
    except TradeLedgerError as exc:
        _fail(exc)


@app.command()
def status() -> None:
    """Show the network, the deployment, the chain head and the index."""
    from tradeledger.runtime import open_stack

    try:
        stack = open_stack()
    except TradeLedgerError as exc:
        _fail(exc)
        return
    manifest = stack.chain.require_manifest()
    head = stack.chain.w3.eth.block_number
    cp = stack.indexer.checkpoint()
    table = Table(
        title=f"tradeledger on {stack.network.name} (chain {stack.chain.chain_id})", show_header=False
    )
    table.add_row("head block", str(head))
    table.add_row("indexed to", str(cp.block_number) if cp else "nothing yet")
    table.add_row("deployed", f"{manifest.deployed_at} (block {manifest.start_block})")
    for name, record in sorted(manifest.contracts.items()):
        table.add_row(name, record.address + (f"  v{record.version}" if record.version else ""))
    gov = manifest.governance
    table.add_row(
        "governance",
        f"{gov.get('threshold')} of {len(gov.get('officers', []))} officers, "
        f"delay {gov.get('execution_delay')}s",
    )
    console.print(table)


@app.command()
def reindex() -> None:
    """Rebuild the database index from the chain (events since deployment)."""
    from tradeledger.runtime import open_stack

    try:
        stack = open_stack()
        with console.status("re-indexing") as spinner:
            last = stack.indexer.reindex(
                progress=lambda done, total: spinner.update(f"re-indexing block {done}/{total}")
            )
        console.print(f"[green]re-indexed[/] up to block {last}")
    except TradeLedgerError as exc:
        _fail(exc)


@app.command()
def demo() -> None:
    """Run the whole receivables story on the running stack and print what happened."""
    from sqlmodel import Session

    from tradeledger.demo import seed_demo
    from tradeledger.runtime import open_stack
    from tradeledger.story import run_story

    try:
        stack = open_stack()
        stack.indexer.sync()
        with console.status("seeding the demo consortium"), Session(stack.engine) as session:
            seed_demo(session, stack.chain, stack.indexer)
        with console.status("starting") as spinner:

            def show(step: str) -> None:
                spinner.update(step)
                console.print(f"  [green]✓[/] {step}")

            result = run_story(stack, show)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    table = Table("step", "seconds", title="the receivables story")
    for step, seconds in result.steps:
        table.add_row(step, f"{seconds:.2f}")
    console.print(table)
    console.print(
        f"receivable {result.receivable_id} ({result.face_value / 100:,.2f} USD), "
        f"parts {', '.join(result.parts)}"
    )
    console.print(
        f"confirmed → funded in {result.confirmed_to_funded:.2f}s; token balances (USD): "
        + ", ".join(f"{role} {amount / 100:,.2f}" for role, amount in result.balances.items())
    )


@orgs_app.command("list")
def orgs_list() -> None:
    """List the consortium's organisations (from the index, synced first)."""
    from sqlmodel import Session, select

    from api.participants.models import Organisation
    from tradeledger.runtime import open_stack

    try:
        stack = open_stack()
        stack.indexer.sync()
    except TradeLedgerError as exc:
        _fail(exc)
        return
    table = Table("id", "name", "role", "status", "registered")
    with Session(stack.engine) as session:
        for org in session.exec(select(Organisation).order_by(Organisation.registered_block)):  # type: ignore[arg-type]
            table.add_row(
                org.org_id[:18] + "…", org.name, org.role, org.status, org.registered_at.isoformat()
            )
    console.print(table)


@orgs_app.command("create")
def orgs_create(
    handle: Annotated[str, typer.Argument(help="Short unique handle, e.g. acme-motors (fixes the org id).")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[str, typer.Option(help="core_enterprise, supplier, financier, logistics, auditor, …")],
    legal_id: Annotated[
        str, typer.Option(help="Legal id (e.g. LEI); only a salted commitment goes on chain.")
    ],
) -> None:
    """Register an organisation on chain (as the consortium operator) and print its first API key."""
    from sqlmodel import Session

    from api.participants.service import ParticipantsService
    from tradeledger.runtime import open_stack

    try:
        stack = open_stack()
        with Session(stack.engine) as session:
            org, api_key, tx = ParticipantsService(session, stack.chain, stack.indexer).register(
                handle=handle, name=name, role=role, legal_id=legal_id
            )
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(f"[green]registered[/] {org.name} ({org.role}) as {org.org_id} in block {tx.block_number}")
    console.print(f"API key (shown once): [bold]{api_key}[/]")


@orgs_app.command("suspend")
def orgs_suspend(org_id: Annotated[str, typer.Argument(help="0x… organisation id")]) -> None:
    """Suspend an organisation (circuit breaker): none of its accounts can write any more."""
    from sqlmodel import Session

    from api.participants.service import ParticipantsService
    from tradeledger.runtime import open_stack

    try:
        stack = open_stack()
        with Session(stack.engine) as session:
            org, _ = ParticipantsService(session, stack.chain, stack.indexer).suspend(org_id)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(f"[yellow]suspended[/] {org.name} ({org.org_id})")


Officer = Annotated[str, typer.Option(help="the officer's key name in the keystore")]
OrgOption = Annotated[str, typer.Option("--org", help="owner organisation: handle (acme-motors) or 0x… id")]


def _device_row(table: Table, view: object) -> None:
    from chain.carbon_contracts import DeviceView

    assert isinstance(view, DeviceView)
    table.add_row(
        "0x" + view.id.hex(), view.kind.name.lower(), view.status, str(view.generation), view.signer
    )


@devices_app.command("add")
def devices_add(
    serial: Annotated[str, typer.Argument(help="the device's serial number (fixes its id)")],
    org: OrgOption,
    kind: Annotated[
        str, typer.Option(help="electricity_meter, gas_meter, diesel_meter, reefer_container, truck")
    ],
    binding: Annotated[
        str, typer.Option(help="what it measures, e.g. facility:acme-plant-1 or shipment:BL-1")
    ],
) -> None:
    """Register a device with a new encrypted signing key."""
    from tradeledger.fleet import add_device
    from tradeledger.runtime import open_stack

    try:
        result = add_device(open_stack(), org, kind, serial, binding)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    verb = "registered" if result.created else "already registered:"
    console.print(
        f"{verb} 0x{result.view.id.hex()} ({result.view.kind.name.lower()}), key {result.view.signer}"
    )


@devices_app.command("rotate")
def devices_rotate(device: Annotated[str, typer.Argument(help="0x… device id")]) -> None:
    """Give a device a new key; readings signed by the old key after now are rejected."""
    from tradeledger.fleet import rotate_device
    from tradeledger.runtime import open_stack

    try:
        view = rotate_device(open_stack(), device)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(f"rotated: generation {view.generation}, key {view.signer}")


@devices_app.command("revoke")
def devices_revoke(device: Annotated[str, typer.Argument(help="0x… device id")]) -> None:
    """Revoke a device for good; none of its readings from now on are accepted."""
    from tradeledger.fleet import revoke_device
    from tradeledger.runtime import open_stack

    try:
        view = revoke_device(open_stack(), device)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(f"[yellow]revoked[/] 0x{view.id.hex()}")


@devices_app.command("list")
def devices_list(
    org: Annotated[str | None, typer.Option("--org", help="only this organisation's")] = None,
) -> None:
    """The registered devices (from the chain index)."""
    from tradeledger.fleet import list_devices
    from tradeledger.runtime import open_stack

    try:
        views = list_devices(open_stack(), org)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    table = Table("device", "kind", "status", "key generation", "signing key")
    for view in views:
        _device_row(table, view)
    console.print(table)


def _period(start: str, end: str) -> tuple[int, int]:
    from datetime import datetime

    from chain.errors import InvalidInput

    try:
        return int(datetime.fromisoformat(start).timestamp()), int(datetime.fromisoformat(end).timestamp())
    except ValueError:
        raise InvalidInput(
            "give the period as ISO 8601 with a timezone, e.g. 2026-11-01T00:00:00Z", code="bad_period"
        ) from None


@carbon_app.command("statement")
def carbon_statement(
    org: OrgOption,
    start: Annotated[str, typer.Option("--from", help="period start, ISO 8601 with a timezone")],
    end: Annotated[str, typer.Option("--to", help="period end, ISO 8601 with a timezone")],
    scope: Annotated[int, typer.Option(help="1 (combustion), 2 (electricity) or 3 (freight)")] = 2,
    region: Annotated[str, typer.Option(help="grid region of the electricity factor, e.g. CN")] = "CN",
    subject: Annotated[
        str | None, typer.Option(help="a facility or shipment label (binding) to state alone")
    ] = None,
    shipment: Annotated[str | None, typer.Option(help="scope 3: a bill of lading number")] = None,
    order: Annotated[str | None, typer.Option(help="scope 3: an order id (its shipments summed)")] = None,
) -> None:
    """Compute emissions from anchored readings and submit the statement on chain.

    Scopes 1 and 2: the organisation's own devices. Scope 3: the freight of a --shipment or an
    --order it is a party of (measured fuel first, then distance x weight x the mode's default)."""
    from sqlmodel import Session

    from api.carbon.emissions import ZERO, load_factor_set
    from api.carbon.service import order_subject, shipment_subject, submit_statement
    from chain.errors import InvalidInput
    from chain.ids import to_hex32
    from iot.simulator import binding_id
    from tradeledger.fleet import resolve_org
    from tradeledger.runtime import open_stack

    try:
        if (scope == 3) != bool(shipment or order) or (shipment and order):
            raise InvalidInput(
                "scope 3 takes one --shipment or one --order; scopes 1 and 2 neither", code="bad_scope"
            )
        stack = open_stack()
        factors = load_factor_set()
        bound = "0x" + binding_id(subject).hex() if subject else ZERO
        who = to_hex32(resolve_org(org))
        with Session(stack.engine) as session:
            freight = None
            if shipment:
                freight = shipment_subject(session, who, shipment)
            elif order:
                freight = order_subject(session, who, order.lower())
            statement_id, statement = submit_statement(
                stack.chain,
                session,
                who,
                factors,
                scope=scope,
                period=_period(start, end),
                region=region,
                subject=freight.subject if freight else bound,
                freight=freight,
            )
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(
        f"statement 0x{statement_id.hex()}: scope {scope}, {statement.grams / 1000:,.3f} kg CO2e "
        f"from {statement.readings} readings in {len(statement.batches)} batch(es), factors {factors.version}"
    )


@carbon_app.command("verify")
def carbon_verify(
    statement: Annotated[str, typer.Argument(help="0x… statement id")],
    verifier: Annotated[str, typer.Option(help="the carbon verifier organisation")],
    region: Annotated[str, typer.Option(help="the grid region the statement was computed for")] = "CN",
) -> None:
    """Recompute a statement from the anchored readings and mark it verified when it matches."""
    from sqlmodel import Session

    from api.carbon.emissions import load_factor_set
    from api.carbon.service import verify_statement
    from chain.ids import from_hex32, to_hex32
    from tradeledger.fleet import resolve_org
    from tradeledger.runtime import open_stack

    try:
        stack = open_stack()
        with Session(stack.engine) as session:
            result = verify_statement(
                stack.chain,
                session,
                to_hex32(resolve_org(verifier)),
                from_hex32(statement),
                load_factor_set(),
                region,
            )
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(f"[green]verified[/]: recomputed {result.grams / 1000:,.3f} kg CO2e, as stated")


@carbon_app.command("score")
def carbon_score(
    org: OrgOption,
    current: Annotated[
        str | None,
        typer.Option(help="0x… verified statement; with --baseline and --verifier, sets the score"),
    ] = None,
    baseline: Annotated[str | None, typer.Option(help="0x… verified baseline statement")] = None,
    verifier: Annotated[str | None, typer.Option(help="the carbon verifier organisation setting it")] = None,
) -> None:
    """Show an organisation's verified carbon score, or set it from a verified reduction (verifiers)."""
    from chain.errors import InvalidInput
    from chain.ids import from_hex32
    from tradeledger.fleet import resolve_org, signing_key_of
    from tradeledger.runtime import open_stack

    try:
        stack = open_stack()
        setting = (current, baseline, verifier)
        if any(setting) and not all(setting):
            raise InvalidInput(
                "setting a score needs --current, --baseline and --verifier", code="bad_arguments"
            )
        if current and baseline and verifier:
            key = signing_key_of(stack, resolve_org(verifier))
            stack.chain.carbon(key).set_carbon_score(from_hex32(current), from_hex32(baseline))
        score = stack.chain.carbon().carbon_score(resolve_org(org))
    except TradeLedgerError as exc:
        _fail(exc)
        return
    if not score.valid_until:
        console.print("no carbon score yet: a carbon verifier sets it from two verified statements")
        return
    console.print(
        f"verified reduction {score.reduction_bps / 100:.2f} % against baseline 0x{score.baseline.hex()}, "
        f"valid until {_when(score.valid_until)}"
    )


@app.command()
def oracle(
    broker: Annotated[str, typer.Option(envvar="TRADELEDGER_MQTT_URL", help="mqtt:// or mqtts:// URL")] = (
        "mqtt://127.0.0.1:1883"
    ),
    org: Annotated[
        str, typer.Option(help="the IoT oracle organisation (handle or 0x… id)")
    ] = "tradeledger-iot",
    client_id: Annotated[str, typer.Option(help="stable per instance: names its persistent session")] = (
        "tradeledger-iot-oracle-1"
    ),
    batch_size: Annotated[int, typer.Option(help="readings per anchored batch at most")] = 256,
    batch_age: Annotated[float, typer.Option(help="seconds before a partial batch is anchored")] = 5.0,
) -> None:
    """Run an IoT oracle: verify readings from the broker, persist them, anchor their batches."""
    import threading

    from oracles.iot.worker import IotOracle, OracleConfig
    from tradeledger.fleet import resolve_org, signing_key_of
    from tradeledger.processes import watch_outbox
    from tradeledger.runtime import open_stack

    try:
        stack = open_stack()
        key = signing_key_of(stack, resolve_org(org))
        config = OracleConfig(
            broker_url=broker, client_id=client_id, batch_size=batch_size, batch_age=batch_age
        )
        worker = IotOracle(config, stack.engine, stack.chain, key)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    stop = threading.Event()
    watch_outbox(stack, stop)
    console.print(
        f"IoT oracle consuming {broker}; Ctrl-C stops it (acknowledged readings are anchored first)"
    )
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        stop.set()
    console.print("stopped")


@app.command()
def simulate(
    devices: Annotated[int, typer.Option(help="how many demo devices to run (created if missing)")] = 5,
    rate: Annotated[float, typer.Option(help="readings per second, in all")] = 10.0,
    count: Annotated[int | None, typer.Option(help="stop after this many readings")] = None,
    duration: Annotated[float | None, typer.Option(help="stop after this many seconds")] = None,
    broker: Annotated[str, typer.Option(envvar="TRADELEDGER_MQTT_URL", help="mqtt:// or mqtts:// URL")] = (
        "mqtt://127.0.0.1:1883"
    ),
    username: Annotated[str | None, typer.Option(envvar="TRADELEDGER_MQTT_USERNAME")] = None,
    password: Annotated[str | None, typer.Option(envvar="TRADELEDGER_MQTT_PASSWORD")] = None,
    ca_file: Annotated[str | None, typer.Option(help="CA bundle for TLS")] = None,
    protocol: Annotated[
        str, typer.Option(envvar="TRADELEDGER_MQTT_PROTOCOL", help="5, or 3.1.1 for the embedded broker")
    ] = "5",
) -> None:
    """Run a fleet of demo devices (factory meters, boilers, trucks, reefers) publishing signed readings."""
    from chain.config import var_dir
    from chain.errors import InvalidInput
    from iot.broker import MQTT_5, MQTT_311
    from iot.readings import Domain
    from iot.simulator import BrokerOptions, SequenceBook, run_fleet
    from tradeledger.fleet import demo_fleet
    from tradeledger.runtime import open_stack

    try:
        if protocol not in ("5", "3.1.1"):
            raise InvalidInput(f"MQTT protocol {protocol!r}: use 5 or 3.1.1", code="bad_protocol")
        stack = open_stack()
        with console.status("provisioning devices"):
            fleet = demo_fleet(stack, devices)
        domain = Domain(stack.chain.chain_id, stack.chain.require_manifest().address("DeviceRegistry"))
        options = BrokerOptions(
            broker, username, password, ca_file, MQTT_311 if protocol == "3.1.1" else MQTT_5
        )
        with console.status("publishing") as spinner:
            sent = run_fleet(
                fleet,
                domain,
                options,
                SequenceBook(var_dir() / "simulator" / "sequences.json"),
                rate=rate,
                count=count,
                duration=duration,
                progress=lambda n: spinner.update(f"published {n} readings"),
            )
    except TradeLedgerError as exc:
        _fail(exc)
        return
    except KeyboardInterrupt:
        console.print("stopped")
        return
    console.print(f"published {sent} signed readings from {len(fleet)} devices to {broker}")


@governance_app.command("propose")
def governance_propose(
    contract: Annotated[str, typer.Argument(help="e.g. Financing, AccessManager, Participants")],
    function: Annotated[
        str, typer.Argument(help="e.g. setReviewThreshold, grantRole, reinstateOrganisation")
    ],
    args: Annotated[list[str] | None, typer.Argument(help="the function's arguments")] = None,
    officer: Officer = "officer-1",
) -> None:
    """Propose an operation; the proposal counts as the first approval."""
    from chain import governance
    from chain.contracts import BoundContract
    from tradeledger.runtime import open_stack

    try:
        chain = open_stack().chain
        target: BoundContract = chain.contract(contract)
        values = governance.parse_args(target.abi, function, args or [])
        op = governance.propose(chain, target, function, *values, officer=officer)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    view = chain.dual_control().operation(op)
    console.print(f"proposed [bold]0x{op.hex()}[/]: {contract}.{function}({', '.join(args or [])})")
    console.print(f"needs a second officer's approval; executable from {_when(view.ready_at)}")


@governance_app.command("approve")
def governance_approve(
    operation: Annotated[str, typer.Argument(help="0x… operation id")], officer: Officer = "officer-2"
) -> None:
    """Approve an operation as a second (distinct) officer."""
    from chain import governance
    from chain.ids import from_hex32
    from tradeledger.runtime import open_stack

    try:
        chain = open_stack().chain
        governance.approve(chain, from_hex32(operation), officer=officer)
        view = chain.dual_control().operation(from_hex32(operation))
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(
        f"approved by {officer}: {view.approvals} approval(s); executable from {_when(view.ready_at)}"
    )


@governance_app.command("execute")
def governance_execute(
    operation: Annotated[str, typer.Argument(help="0x… operation id")], officer: Officer = "officer-1"
) -> None:
    """Execute an approved operation once its delay has passed."""
    from chain import governance
    from chain.ids import from_hex32
    from tradeledger.runtime import open_stack

    try:
        receipt = governance.execute(open_stack().chain, from_hex32(operation), officer=officer)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(f"[green]executed[/] in block {receipt.block_number} ({receipt.tx_hash})")


@governance_app.command("show")
def governance_show(operation: Annotated[str, typer.Argument(help="0x… operation id")]) -> None:
    """Show an operation: target, approvals, status, when it can run."""
    from chain.ids import from_hex32
    from tradeledger.runtime import open_stack

    try:
        chain = open_stack().chain
        view = chain.dual_control().operation(from_hex32(operation))
    except TradeLedgerError as exc:
        _fail(exc)
        return
    names = {r.address: name for name, r in chain.require_manifest().contracts.items()}
    table = Table(show_header=False, title=f"operation {operation}")
    table.add_row("status", view.status)
    table.add_row("target", f"{names.get(view.target, '?')} {view.target}")
    table.add_row("call data", "0x" + view.data.hex())
    table.add_row("approvals", f"{view.approvals} of {chain.dual_control().threshold()}")
    table.add_row("executable from", _when(view.ready_at))
    console.print(table)


def _when(timestamp: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")


@keys_app.command("list")
def keys_list() -> None:
    """List the signing keys in the local keystore (addresses only; nothing is decrypted)."""
    from api.settings import get_settings
    from tradeledger.runtime import keystore

    store = keystore(get_settings())
    table = Table("name", "address", title=f"keystore {store.directory}")
    for name in store.names():
        table.add_row(name, store.address(name))
    console.print(table)


@keys_app.command("new")
def keys_new(name: Annotated[str, typer.Argument(help="Key name, e.g. officer-3")]) -> None:
    """Create a new encrypted signing key."""
    from api.settings import get_settings
    from tradeledger.runtime import keystore

    try:
        account = keystore(get_settings()).create(name)
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(f"created {name}: {account.address}")


@keys_app.command("api-key")
def keys_api_key(
    org_id: Annotated[str, typer.Argument(help="0x… organisation id")],
    label: Annotated[str, typer.Option(help="Who or what uses the key.")] = "cli",
    scopes: Annotated[str, typer.Option(help="Comma-separated: read,write,admin")] = "read,write,admin",
) -> None:
    """Issue an API key for an organisation (shown once; stored hashed)."""
    from sqlmodel import Session

    from api.auth.service import create_api_key
    from api.db import make_engine, migrate
    from api.participants.models import Organisation
    from api.settings import get_settings
    from chain.errors import NotFound

    settings = get_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    try:
        with Session(engine) as session:
            if session.get(Organisation, org_id.lower()) is None:
                raise NotFound(f"no organisation {org_id} in the index; check `tradeledger orgs list`")
            _, plaintext = create_api_key(session, org_id.lower(), label, scopes.split(","))
    except TradeLedgerError as exc:
        _fail(exc)
        return
    console.print(f"API key for {org_id} (shown once): [bold]{plaintext}[/]")


# after the commands above, so that the help lists it beside the audit commands
app.command("verify")(verify)

if __name__ == "__main__":
    app()
