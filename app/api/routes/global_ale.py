from __future__ import annotations

import json
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import ServiceDep
from musicxai.errors import NotFoundError

router = APIRouter(prefix="/v1/global/ale", tags=["global explanations"])
_FILE = re.compile(r"^(?P<name>[a-z0-9_]+)\.(?P<kind>png|json)$")
MEDIA = {"png": "image/png", "json": "application/json"}


def _ale_dir(service, model: str | None):
    folder = service.registry.path(model) / "ale"
    if not (folder / "index.json").is_file():
        raise NotFoundError(f"Model {service.registry.resolve(model)!r} has no ALE artifacts.")
    return folder


@router.get("", summary="Descriptors with ALE plots for a bundle, with units and links")
def list_ale(service: ServiceDep, model: Annotated[str | None, Query()] = None) -> dict:
    folder = _ale_dir(service, model)
    index = json.loads((folder / "index.json").read_text())
    suffix = f"?model={model}" if model else ""
    for entry in index["descriptors"]:
        entry["links"] = {
            "png": f"/v1/global/ale/{entry['name']}.png{suffix}",
            "json": f"/v1/global/ale/{entry['name']}.json{suffix}",
        }
    return {"model": service.registry.resolve(model), **index}


@router.get(
    "/{filename}",
    summary="One descriptor's ALE plot (.png) or curves (.json: bin edges, values per genre, counts)",
    response_class=Response,
)
def read_ale(filename: str, service: ServiceDep, request: Request, model: Annotated[str | None, Query()] = None):
    match = _FILE.match(filename)
    folder = _ale_dir(service, model)
    path = folder / filename
    if match is None or not path.is_file():
        raise NotFoundError(f"No ALE artifact {filename!r}; see /v1/global/ale for the descriptors.")
    etag = f'"{service.registry.bundle_id(model)}:{filename}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(path.read_bytes(), media_type=MEDIA[match["kind"]], headers=headers)
