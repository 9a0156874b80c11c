"""Request bodies a route reads itself (one operation taking JSON or multipart) still get their
schemas from pydantic models: each model's JSON schema, and the enums it refers to, go into the
OpenAPI document's components."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

REF = "#/components/schemas/{model}"


def request_body(content: dict[str, type[BaseModel]], *, example: dict | None = None) -> dict:
    """An ``openapi_extra`` request body: media type -> the model whose schema it follows."""
    body = {media: {"schema": {"$ref": REF.format(model=model.__name__)}} for media, model in content.items()}
    if example is not None:
        next(iter(body.values()))["example"] = example
    return {"requestBody": {"required": True, "content": body}}


def install_request_schemas(app: FastAPI, models: Iterable[type[BaseModel]]) -> None:
    """Make ``app.openapi()`` carry these models' schemas (generated once, on first request)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template=REF)
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi
