"""Group commit in the IoT oracle: sequences judged within the group, and a failed group persists
and acknowledges nothing (real databases and a real broker; the failure is a database trigger)."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from api.carbon.models import ReadingRow
from chain.policy import OrgRole
from iot.readings import ReadingVerifier
from iot.topics import readings_topic
from oracles.iot.ingest import ChainDevices, Ingestor, Outcome, counters
from oracles.iot.worker import IotOracle, OracleConfig
from tests.chain.trade_factories import make_party
from tests.conftest import ChainHarness
from tests.oracles.test_iot_oracle import _fleet, _publish, _signed, _wait

pytestmark = pytest.mark.chain


@contextmanager
def refusing_readings(engine: Engine) -> Iterator[None]:
    """While inside, every INSERT into iot_readings fails in the database itself."""
    if engine.dialect.name == "sqlite":
        create = [
            "CREATE TRIGGER refuse_readings BEFORE INSERT ON iot_readings "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ]
        drop = ["DROP TRIGGER refuse_readings"]
    else:
        create = [
            "CREATE FUNCTION refuse_readings() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
            "CREATE TRIGGER refuse_readings BEFORE INSERT ON iot_readings "
            "FOR EACH ROW EXECUTE FUNCTION refuse_readings()",
        ]
        drop = ["DROP TRIGGER refuse_readings ON iot_readings", "DROP FUNCTION refuse_readings()"]
    with engine.begin() as connection:
        for statement in create:
            connection.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as connection:
            for statement in drop:
                connection.execute(text(statement))


def _stored(engine: Engine) -> list[tuple[str, int, int]]:
    with Session(engine) as session:
        rows = session.exec(select(ReadingRow)).all()
    return sorted((r.device_id, int(r.sequence), int(r.value_milli)) for r in rows)


def test_one_group_judges_sequences_against_itself_and_fails_whole(
    harness: ChainHarness, db_engine: Engine
) -> None:
    h = harness
    fleet = _fleet(h, 2)
    a, b = fleet.devices
    topic_a, topic_b = (readings_topic(fleet.owner.org, d) for d in fleet.devices)
    ingestor = Ingestor(
        db_engine, ReadingVerifier(fleet.domain), ChainDevices(h.chain.devices()), clock=fleet.clock
    )
    first = _signed(h, fleet, a, 1)
    group = [
        (topic_a, first),
        (topic_a, _signed(h, fleet, a, 2)),
        (topic_a, _signed(h, fleet, a, 2, value=9_999)),  # reuses sequence 2 within the group: a replay
        (topic_a, first),  # the same message twice in one group: a redelivery
        (topic_b, _signed(h, fleet, b, 1)),
        (topic_b, _signed(h, fleet, b, 4)),  # a gap
        (topic_b, _signed(h, fleet, b, 3)),  # after 4, in the same group: late, and accepted
        (topic_a, _signed(h, fleet, a, 3, value=-5)),  # out of range
    ]
    expected = [
        Outcome(True),
        Outcome(True),
        "replayed",
        "duplicate",
        Outcome(True),
        Outcome(True),
        Outcome(True),
        "out_of_range",
    ]

    # the group's transaction fails: nothing of it is persisted
    with refusing_readings(db_engine), pytest.raises(Exception, match="refused by the test"):
        ingestor.handle_group(group)
    assert _stored(db_engine) == [] and counters(db_engine) == {}

    outcomes = ingestor.handle_group(group)  # judged as if the failed attempt never happened
    assert [o if o.accepted else o.reason for o in outcomes] == expected
    assert counters(db_engine) == {
        "accepted": 5,
        "duplicate": 1,
        "gap": 1,
        "late": 1,
        "rejected:replayed": 1,
        "rejected:out_of_range": 1,
    }
    a_hex, b_hex = "0x" + a.hex(), "0x" + b.hex()
    assert _stored(db_engine) == sorted(
        [(a_hex, 1, 1_500), (a_hex, 2, 1_500), (b_hex, 1, 1_500), (b_hex, 3, 1_500), (b_hex, 4, 1_500)]
    )

    # later groups are judged against what is committed; a fresh instance reads it from the database
    later = [
        (topic_a, first),
        (topic_a, _signed(h, fleet, a, 2, value=7)),
        (topic_a, _signed(h, fleet, a, 3)),
    ]
    fresh = Ingestor(
        db_engine, ReadingVerifier(fleet.domain), ChainDevices(h.chain.devices()), clock=fleet.clock
    )
    assert [o.reason for o in ingestor.handle_group(later[:2])] == ["duplicate", "replayed"]
    assert fresh.handle(*later[2]) == Outcome(True)
    assert counters(db_engine)["accepted"] == 6 and counters(db_engine)["rejected:replayed"] == 2


def test_two_instances_take_a_devices_readings_in_any_order_and_each_once(
    harness: ChainHarness, db_engine: Engine
) -> None:
    """Instances sharing a subscription see one device's readings split between them and out of
    order. The seen-set is the database's: every reading is stored exactly once, none is refused
    because a later sequence was stored first, and a sequence reused by either instance is refused."""
    h = harness
    fleet = _fleet(h, 1)
    (meter,) = fleet.devices
    topic = readings_topic(fleet.owner.org, meter)
    one, two = (
        Ingestor(db_engine, ReadingVerifier(fleet.domain), ChainDevices(h.chain.devices()), clock=fleet.clock)
        for _ in range(2)
    )
    readings = {seq: (topic, _signed(h, fleet, meter, seq)) for seq in range(1, 9)}
    # the broker alternates between the instances; the second commits its share first
    assert all(o.accepted for o in two.handle_group([readings[s] for s in (2, 4, 6, 8)]))
    assert all(o.accepted for o in one.handle_group([readings[s] for s in (1, 3, 5, 7)]))
    # a redelivery to the other instance (after a reconnect) is a duplicate, not a second row
    assert one.handle(*readings[8]).reason == "duplicate"
    # a reading reusing a stored sequence is a replay, whichever instance stored it
    assert one.handle(topic, _signed(h, fleet, meter, 4, value=9_999)).reason == "replayed"
    assert two.handle(topic, _signed(h, fleet, meter, 3, value=9_999)).reason == "replayed"
    meter_hex = "0x" + meter.hex()
    assert _stored(db_engine) == [(meter_hex, seq, 1_500) for seq in range(1, 9)]
    assert counters(db_engine) == {
        "accepted": 8,
        "gap": 3,  # 2 -> 4 -> 6 -> 8 at the second instance
        "late": 4,  # 1, 3, 5 and 7 arrived after 8
        "duplicate": 1,
        "rejected:replayed": 2,
    }


@pytest.mark.broker
def test_a_failing_commit_acknowledges_nothing_and_the_oracle_recovers(
    harness: ChainHarness, db_engine: Engine, mqtt_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Readings whose group could not be committed are redelivered to the next instance of the session."""
    h = harness
    fleet = _fleet(h, 2)
    oracle_org = make_party(h, "iot-oracle-group", OrgRole.IOT_ORACLE)
    tag = secrets.token_hex(4)
    config = OracleConfig(
        broker_url=mqtt_url, group=f"group-{tag}", client_id=f"group-{tag}", batch_size=50, batch_age=0.5
    )
    messages = [
        (readings_topic(fleet.owner.org, d), _signed(h, fleet, d, seq))
        for seq in range(1, 11)
        for d in fleet.devices
    ]
    messages.append((messages[0][0], _signed(h, fleet, fleet.devices[0], 3, value=9_999)))  # a replay
    caplog.set_level(logging.ERROR, logger="oracles.iot.worker")

    def failures() -> int:
        return sum("could not persist a group" in r.getMessage() for r in caplog.records)

    def start() -> tuple[threading.Event, threading.Thread]:
        oracle = IotOracle(config, db_engine, h.chain, oracle_org.key, clock=fleet.clock)
        stop = threading.Event()
        worker = threading.Thread(target=oracle.run, args=(stop,))
        worker.start()
        assert oracle.connected.wait(10)
        return stop, worker

    with refusing_readings(db_engine):
        stop, worker = start()
        try:
            _publish(mqtt_url, messages)
            _wait(lambda: failures() >= 2, 30)  # a group was tried and retried
            assert worker.is_alive() and _stored(db_engine) == [] and counters(db_engine) == {}
        finally:
            stop.set()
            worker.join(30)
        # the same session again: the broker redelivers every message, so none was acknowledged
        seen = failures()
        stop, worker = start()
        try:
            _wait(lambda: failures() > seen, 30)
            assert _stored(db_engine) == []
        except BaseException:
            stop.set()
            worker.join(30)
            raise
    try:  # the database accepts again: the running oracle commits the group it was retrying
        _wait(
            lambda: counters(db_engine).get("accepted") == 20 and "rejected:replayed" in counters(db_engine)
        )
    finally:
        stop.set()
        worker.join(30)
    assert counters(db_engine) == {"accepted": 20, "rejected:replayed": 1}
    assert _stored(db_engine) == sorted(
        ("0x" + d.hex(), seq, 1_500) for seq in range(1, 11) for d in fleet.devices
    )
