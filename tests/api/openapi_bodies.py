"""Syntactically valid requests for any route, from the app's own OpenAPI document: every required field
filled with the least value its schema allows (a route walk must not depend on a list of bodies)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

HEX32 = "0x" + "ab" * 32
BY_PATTERN = {  # an unknown pattern fails with KeyError, naming it: add a sample here
    r"^0x[0-9a-fA-F]{64}$": HEX32,
    r"^\d{6,10}$": "870830",
    r"^[a-z0-9][a-z0-9-]{1,62}$": "audit-probe",
    r"^[A-Z]{3}$": "USD",
}


class OpenApiBodies:
    def __init__(self, app: FastAPI) -> None:
        self.spec = app.openapi()
        self.components: dict[str, Any] = dict(self.spec.get("components", {}).get("schemas", {}))

    def body(self, path: str, method: str, *, full: bool = False) -> Any | None:
        """A JSON body for the operation, or None when it takes none; ``full``: optional fields too
        (for models whose validators want at least one of them)."""
        operation = self.spec["paths"].get(path, {}).get(method.lower(), {})
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        return None if schema is None else self.example(schema, full=full)

    def path_params(self, path: str, method: str, known: dict[str, Any]) -> dict[str, Any]:
        """Values for the path's parameters: ``known`` ones by name, else the least valid value."""
        operation = self.spec["paths"][path][method.lower()]
        params = [p for p in operation.get("parameters", []) if p["in"] == "path"]
        return {p["name"]: known.get(p["name"], self.example(p["schema"])) for p in params}

    def example(self, schema: dict[str, Any], *, full: bool = False) -> Any:
        if "$ref" in schema:
            return self.example(self.components[schema["$ref"].rsplit("/", 1)[1]], full=full)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                return self.example(next(s for s in schema[key] if s.get("type") != "null"), full=full)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            names = schema.get("properties", {}) if full else schema.get("required", [])
            return {name: self.example(schema["properties"][name], full=full) for name in names}
        if kind == "array":
            items = schema.get("items", {})
            return [self.example(items, full=full) for _ in range(max(schema.get("minItems", 1), 1))]
        if kind in ("integer", "number"):
            least = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
            return max(least, 1) if schema.get("maximum", 1) >= 1 else least
        if kind == "boolean":
            return False
        if kind == "string":
            if "pattern" in schema:
                return BY_PATTERN[schema["pattern"]]
            return {"date": "2026-04-20", "date-time": "2026-04-20T10:00:00Z"}.get(
                schema.get("format", ""), "x" * max(schema.get("minLength", 1), 1)
            )
        return {}
