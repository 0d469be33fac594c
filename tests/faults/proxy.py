"""A fault-injecting TCP proxy on loopback, for the network-fault tests.

It forwards bytes between a client (the API's chain connection) and an upstream (anvil) and, when told,
adds latency, resets connections (RST through ``SO_LINGER`` 0), refuses new connections (it stops
listening) or blackholes them (accepts, reads, never answers). ``reset_response_of(method)`` lets a
request that names ``method`` reach the node and resets the connection instead of delivering the answer:
the node acted, the client never hears of it.

It runs its own asyncio loop on a thread; the knobs are plain attributes set from the test's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field

CHUNK = 65536


@dataclass
class Faults:
    latency: float = 0.0  # seconds added before each chunk forwarded to the client
    blackhole: bool = False  # new and open connections: read everything, answer nothing
    reset_responses: dict[bytes, int] = field(default_factory=dict)  # method -> how many answers to lose


class FaultProxy:
    """``with FaultProxy(upstream_port) as proxy: proxy.url`` — a loopback proxy to ``upstream_port``."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.faults = Faults()
        self.lost: list[str] = []  # methods whose answers were reset, in order
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- life cycle ----------------------------------------------------------------------

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._run(self._listen())
        return self

    def __exit__(self, *_: object) -> None:
        self._run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def _run(self, coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)  # type: ignore[arg-type]

    # --- knobs ---------------------------------------------------------------------------

    def heal(self) -> None:
        """No more faults; listen again if refusing."""
        self.faults = Faults()
        if self._server is None:
            self._run(self._listen())

    def refuse(self) -> None:
        """Stop listening (new connections get ECONNREFUSED) and reset the open ones."""
        self._run(self._close(reset=True))

    def reset_all(self) -> None:
        """Reset every open connection now (new ones are still accepted)."""
        self._run(self._reset_open())

    def reset_response_of(self, method: str, times: int = 1) -> None:
        """The next ``times`` requests naming ``method`` reach the node; their answers are lost (RST)."""
        with self._lock:
            self.faults.reset_responses[f'"{method}"'.encode()] = times

    # --- internals -----------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self, *, reset: bool) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if reset:
            await self._reset_open()

    async def _reset_open(self) -> None:
        for writer in list(self._writers):
            _rst(writer)

    async def _stop(self) -> None:
        await self._close(reset=True)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:  # reset connections end their tasks; wait for that rather than cancel them
            _, stuck = await asyncio.wait(tasks, timeout=2)
            for task in stuck:
                task.cancel()

    def _armed(self, data: bytes) -> bytes | None:
        """The method in ``data`` whose answer is to be lost (and count it), or None."""
        with self._lock:
            for method, left in self.faults.reset_responses.items():
                if left > 0 and method in data:
                    self.faults.reset_responses[method] = left - 1
                    return method
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            if self.faults.blackhole:
                while await reader.read(CHUNK):
                    pass
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                _rst(writer)
                return
            self._writers.add(up_writer)
            doomed: list[bytes] = []  # the request whose answer is to be lost
            try:
                await asyncio.gather(
                    self._pipe(reader, up_writer, doomed, upstream=True),
                    self._pipe(up_reader, writer, doomed, upstream=False),
                )
            finally:
                self._writers.discard(up_writer)
                _rst(up_writer)
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        doomed: list[bytes],
        *,
        upstream: bool,
    ) -> None:
        try:
            while data := await reader.read(CHUNK):
                if self.faults.blackhole:
                    continue  # swallow: nothing reaches the other side any more
                if upstream:
                    if (method := self._armed(data)) is not None:
                        doomed.append(method)
                else:
                    if doomed:  # the node answered a doomed request: lose the answer, reset the client
                        self.lost.append(doomed.pop().decode().strip('"'))
                        _rst(writer)
                        return
                    if self.faults.latency:
                        await asyncio.sleep(self.faults.latency)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            _rst(writer)


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (``SO_LINGER`` on, 0 s) rather than an orderly FIN."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
