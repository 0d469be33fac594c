"""The document store on a kubo node, over its HTTP RPC API (``/api/v0``) with plain httpx.

Nothing kubo says is taken on trust: ``put`` refuses a CID that differs from the one computed
here (a node configured with other import settings, e.g. the ``unixfs-v1-2025`` profile's 1 MiB
chunks and 1,024 links), ``get`` re-imports the bytes ``cat`` returns and compares CIDs, and
``export_car`` reads the CAR back, checking every block and that the document reassembles.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

import httpx

from chain.docstore.car import import_car
from chain.docstore.cid import Cid
from chain.docstore.errors import CidMismatch, InvalidCid, KuboError, KuboUnavailable
from chain.docstore.unixfs import CHUNK_SIZE, cid_of

ADD_PARAMS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": f"size-{CHUNK_SIZE}",
    "pin": "true",
}


class KuboStore:
    """Documents pinned on the kubo node whose RPC API is at ``api_url`` (e.g. ``http://127.0.0.1:5001``)."""

    add_params: dict[str, str] = ADD_PARAMS

    def __init__(self, api_url: str, *, timeout: float = 60.0, client: httpx.Client | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self._client = client or httpx.Client(base_url=f"{self.api_url}/api/v0", timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def _post(self, command: str, params: dict[str, str], **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.post(f"/{command}", params=params, **kwargs)
        except httpx.TimeoutException as exc:
            raise KuboUnavailable(
                f"the IPFS node at {self.api_url} did not answer {command} in time ({type(exc).__name__}); "
                "a block it does not hold is searched for on the network until the timeout",
                url=self.api_url,
            ) from exc
        except httpx.TransportError as exc:
            raise KuboUnavailable(
                f"the IPFS node at {self.api_url} is not reachable ({type(exc).__name__}: {exc}); "
                "start it or correct IPFS_API_URL",
                url=self.api_url,
            ) from exc
        if response.status_code != 200:
            raise KuboError(
                f"the IPFS node at {self.api_url} refused {command}: {_message(response)}",
                url=self.api_url,
                command=command,
            )
        return response

    def put(self, data: bytes) -> str:
        """Add and pin ``data``; refuses (``CidMismatch``) if kubo's CID is not ours."""
        expected = cid_of(data)
        response = self._post(
            "add", self.add_params, files={"file": ("document", data, "application/octet-stream")}
        )
        lines = [line for line in response.text.splitlines() if line.strip()]
        try:
            got = Cid.parse(json.loads(lines[-1])["Hash"])
        except (IndexError, KeyError, TypeError, ValueError, InvalidCid) as exc:
            raise KuboError(f"unexpected answer from {self.api_url} to add: {response.text[:200]!r}") from exc
        if got != expected:
            raise CidMismatch(
                f"the IPFS node at {self.api_url} stored the document as {got}, but its CID is {expected}; "
                "the node's import settings differ from kubo's defaults (256 KiB chunks, 174 links, "
                "raw leaves); fix its Import config",
                expected=str(expected),
                got=str(got),
            )
        return str(expected)

    def get(self, cid: str) -> bytes:
        """The document's bytes (``cat``), refused unless they import to ``cid`` again."""
        wanted = Cid.parse(cid)
        data = self._post("cat", {"arg": str(wanted)}).content
        got = cid_of(data)
        if got != wanted:
            raise CidMismatch(
                f"the IPFS node at {self.api_url} returned bytes whose CID is {got} for {wanted}",
                expected=str(wanted),
                got=str(got),
            )
        return data

    def has(self, cid: str) -> bool:
        """Whether the node keeps the document pinned (recursively: every block)."""
        wanted = Cid.parse(cid)
        try:
            self._post("pin/ls", {"arg": str(wanted), "type": "recursive"})
        except KuboError as exc:
            if "not pinned" in exc.detail:
                return False
            raise
        return True

    def export_car(self, cid: str, out: BinaryIO) -> None:
        """The document's DAG as a CARv1 (``dag/export``), checked block by block before it is written."""
        wanted = Cid.parse(cid)
        data = self._post("dag/export", {"arg": str(wanted)}).content
        exported = import_car(data)
        if exported.roots != [wanted]:
            raise KuboError(f"the IPFS node at {self.api_url} exported a CAR rooted at {exported.roots}")
        exported.read_file(wanted)
        out.write(data)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code} {response.text[:200]!r}"
    if isinstance(body, dict) and "Message" in body:
        return str(body["Message"])
    return f"HTTP {response.status_code} {response.text[:200]!r}"
