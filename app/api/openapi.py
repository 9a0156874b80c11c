"""The OpenAPI document says exactly what each operation accepts and answers.

Request bodies a route reads itself (one operation taking JSON or multipart) still get their schemas
from pydantic models: each model's JSON schema, and the enums it refers to, go into the document's
components. Every error status an operation can return is declared with the problem schema
(:func:`problems`), 429s and 503s with their ``Retry-After`` header. With API keys on, every ``/v1``
operation declares the bearer scheme and its 401 and 429 answers."""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

REF = "#/components/schemas/{model}"
PROBLEM_JSON = "application/problem+json"
BINARY = {"type": "string", "format": "binary"}
RETRY_AFTER = {"description": "seconds after which the same request may succeed", "schema": {"type": "integer"}}
WWW_AUTHENTICATE = {"description": "the scheme to use: Bearer", "schema": {"type": "string"}}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "an API key made by `musicxai api-key NAME`, where the service is configured with keys",
}


def problems(*statuses: int) -> dict[int | str, dict]:
    """``responses=`` for a route: each error status it can answer, with the Problem schema."""
    out: dict[int | str, dict] = {}
    for status in statuses:
        entry = {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": REF.format(model="Problem")}}},
        }
        if status in (429, 503):
            entry["headers"] = {"Retry-After": RETRY_AFTER}
        elif status == 401:
            entry["headers"] = {"WWW-Authenticate": WWW_AUTHENTICATE}
        out[status] = entry
    return out


def media(*types: str, status: int = 200, description: str = "OK") -> dict[int | str, dict]:
    """``responses=`` entry for a route whose answer is one of ``types``: bytes (images, audio), or a
    JSON document."""
    content = {t: {"schema": {"type": "object"} if t.endswith("json") else BINARY} for t in types}
    return {status: {"description": description, "content": content}}


def form_fields(schema: dict) -> None:
    """A model's JSON schema as multipart form fields: a form field is absent or a string, never
    JSON null, so ``X | None`` fields lose their null alternative (absent means the default)."""
    for prop in schema.get("properties", {}).values():
        kept = [alt for alt in prop.get("anyOf", []) if alt.get("type") != "null"]
        if "anyOf" in prop and len(kept) == 1:
            del prop["anyOf"]
            prop.update(kept[0])
        elif "anyOf" in prop:
            prop["anyOf"] = kept
        if prop.get("default", ...) is None:
            del prop["default"]


def request_body(content: dict[str, type[BaseModel]], *, example: dict | None = None) -> dict:
    """An ``openapi_extra`` request body: media type -> the model whose schema it follows."""
    body = {media: {"schema": {"$ref": REF.format(model=model.__name__)}} for media, model in content.items()}
    if example is not None:
        next(iter(body.values()))["example"] = example
    return {"requestBody": {"required": True, "content": body}}


def _require_keys(spec: dict, prefix: str) -> None:
    spec["components"]["securitySchemes"] = {"apiKey": BEARER}
    for path, operations in spec["paths"].items():
        if path == prefix or path.startswith(prefix + "/"):
            for operation in operations.values():
                operation["security"] = [{"apiKey": []}]
                operation["responses"].update(problems(401, 429))


def install_request_schemas(app: FastAPI, models: Iterable[type[BaseModel]], *, keys_prefix: str | None = None) -> None:
    """Make ``app.openapi()`` carry these models' schemas (generated once, on first request), and
    with ``keys_prefix`` the bearer key that operations under it need."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template=REF)
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            if keys_prefix is not None:
                _require_keys(spec, keys_prefix)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi
