"""What every benchmark shares: the result type, the target check, timing helpers and the run context.

A benchmark is a module with ``NAME``, ``TITLE``, ``workload(scale)`` (its counts, sizes and
concurrency at that scale) and ``run(ctx, scale) -> Result``. Each figure carries the baseline
measured in the same run (so the ratio is comparable between machines), and the target it is held
to, on its value or on its ratio. ``bench.report`` writes the results; ``bench.suite`` runs them.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from rich.console import Console

if TYPE_CHECKING:
    from tradeledger.runtime import Stack


@dataclass(frozen=True)
class Target:
    """``value op threshold`` (``on="value"``) or ``value / baseline op threshold`` (``on="ratio"``)."""

    op: Literal[">=", "<="]
    threshold: float
    on: Literal["value", "ratio"] = "value"
    text: str = ""  # as the issue words it, e.g. "p95 <= 100 ms"

    def met(self, value: float, ratio: float | None) -> bool | None:
        measured = value if self.on == "value" else ratio
        if measured is None or math.isnan(measured):
            return None
        return measured >= self.threshold if self.op == ">=" else measured <= self.threshold

    def headroom(self, value: float, ratio: float | None) -> float | None:
        """How far from the target, as a factor: >= 1 is met (for the plot)."""
        measured = value if self.on == "value" else ratio
        if measured is None or measured <= 0 or self.threshold <= 0:
            return None
        return measured / self.threshold if self.op == ">=" else self.threshold / measured


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: Target | None = None

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def met(self) -> bool | None:
        return self.target.met(self.value, self.ratio) if self.target else None

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ratio": self.ratio, "met": self.met}


Status = Literal["ok", "failed", "not built"]


@dataclass
class Result:
    name: str
    title: str
    workload: dict[str, object]
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)  # latencies (ms) for the plots
    status: Status = "ok"
    seconds: float = 0.0

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "workload": self.workload,
            "figures": [f.as_dict() for f in self.figures],
            "notes": self.notes,
            "series": {k: [round(v, 3) for v in vs] for k, vs in self.series.items()},
        }


class Benchmark(Protocol):
    NAME: str
    TITLE: str

    def workload(self, scale: float) -> dict[str, object]: ...

    def run(self, ctx: Context, scale: float) -> Result: ...


def scaled(count: int, scale: float, minimum: int = 1) -> int:
    """``count`` at ``scale``, never below ``minimum``."""
    return max(minimum, round(count * scale))


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0..100) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.nan


def timed(step: Callable[[], object], count: int) -> list[float]:
    """Latencies (seconds) of ``count`` calls of ``step``, after a short warm-up."""
    for _ in range(min(20, count)):
        step()
    latencies = []
    for _ in range(count):
        t0 = time.perf_counter()
        step()
        latencies.append(time.perf_counter() - t0)
    return latencies


def broker_url() -> str:
    return os.environ.get("TRADELEDGER_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


class Context:
    """One run's shared resources: the embedded demo stack (made on first use, with its API keys), the
    MQTT broker's URL and a console. Environment variables it sets are restored on close."""

    def __init__(self, console: Console | None = None, broker: str | None = None) -> None:
        self.console = console or Console()
        self.broker = broker or broker_url()
        self._resources = ExitStack()
        self._stack: tuple[Stack, str, dict[str, dict[str, str]]] | None = None
        saved = {k: os.environ.get(k) for k in ("TRADELEDGER_VAR_DIR", "TRADELEDGER_KEYSTORE_SCRYPT_N")}
        self._resources.callback(_restore, saved)

    def _open(self) -> tuple[Stack, str, dict[str, dict[str, str]]]:
        if self._stack is None:
            from bench.embedded import demo_stack

            self._stack = self._resources.enter_context(demo_stack(self.console))
        return self._stack

    @property
    def stack(self) -> Stack:
        return self._open()[0]

    @property
    def node_url(self) -> str:
        return self._open()[1]

    @property
    def api_keys(self) -> dict[str, str]:
        """Demo organisation handle -> API key."""
        return {handle: c["api_key"] for handle, c in self._open()[2].items()}

    @property
    def var_dir(self) -> Path:
        self._open()
        return Path(os.environ["TRADELEDGER_VAR_DIR"])

    @property
    def database_url(self) -> str:
        return self.stack.engine.url.render_as_string(hide_password=False)

    def close(self) -> None:
        self._resources.close()
        self._stack = None

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def status(self, text: str) -> Iterator[None]:
        with self.console.status(text):
            yield


def _restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
