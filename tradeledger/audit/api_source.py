"""Where ``tradeledger verify --api`` gets what the chain does not hold: a document's bytes, salt and
key, or a reading with its proof, from the platform's API as a party or an authorised auditor sees
them. The API is only a source of material: every check is still made against the chain."""

from __future__ import annotations

from typing import Any

import httpx

from chain.errors import InvalidInput, NotFound, Unavailable


class ApiSource:
    def __init__(self, url: str, api_key: str, *, timeout: float = 30.0) -> None:
        base = url.rstrip("/").removesuffix("/api/v1")
        self.client = httpx.Client(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout
        )

    def _get(self, path: str) -> httpx.Response | None:
        """The answer to GET ``path``; None for 404 (nothing of yours there)."""
        try:
            response = self.client.get(path)
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"cannot reach the API at {self.client.base_url}: {exc}; check --api", code="api_unreachable"
            ) from exc
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise InvalidInput(
                f"the API refused the key ({response.status_code}): check --api-key", code="api_key_refused"
            )
        if response.status_code >= 400:
            raise Unavailable(
                f"the API answered {response.status_code} for {path}: {response.text[:200]}", code="api_error"
            )
        return response

    def reading(self, reading_id: str) -> dict[str, Any]:
        """The reading's proof as ``GET /readings/{id}/proof`` gives it (leaf, proof, root, signature)."""
        response = self._get(f"/readings/{reading_id}/proof")
        if response is None:
            raise NotFound(
                f"the API knows no reading {reading_id} of yours (or it is not batched yet)",
                code="reading_not_found",
            )
        return dict(response.json())

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """The document's content, salt, key and encrypted copy; None if the API has no such document."""
        found = self._get(f"/documents/{doc_id}")
        if found is None:
            return None
        key = self._get(f"/documents/{doc_id}/key")
        sealed = self._get(f"/documents/{doc_id}/sealed")
        return {
            "content": found.json()["content"],
            "salt": key.json()["salt"] if key is not None else None,
            "key": key.json()["key"] if key is not None else None,
            "cid": found.json().get("cid"),
            "sealed": sealed.content if sealed is not None else None,
        }
