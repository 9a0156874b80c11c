"""HTTP request bodies: what a client sends to queue work, as pydantic models that also shape the
OpenAPI document (JSON bodies, and the multipart form of an upload)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.openapi import form_fields
from musicxai.explain.attribution import Method
from musicxai.explain.params import ExplanationParams


class ExplanationRequest(ExplanationParams):
    """JSON body: explain a clip uploaded before, by its prediction id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prediction_id: str = Field(description="the id a prediction returned (the clip's sha256)")
    model: str | None = Field(None, description="bundle name; default: the service's default")

    def params(self) -> ExplanationParams:
        # what the client left unset stays unset: the model's own defaults fill it (Jobs.create)
        return ExplanationParams(**self.model_dump(exclude={"prediction_id", "model"}, exclude_unset=True))


class ExplanationUpload(ExplanationParams):
    """multipart/form-data: the clip itself, with the same parameters as form fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=form_fields)

    file: bytes = Field(min_length=1, description="audio clip: WAV, FLAC, OGG, MP3, M4A")
    model: str | None = Field(None, description="bundle name; default: the service's default")

    @field_validator("genres", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return [g.strip() for g in value.split(",") if g.strip()] if isinstance(value, str) else value

    def params(self) -> ExplanationParams:
        return ExplanationParams(**self.model_dump(exclude={"file", "model"}, exclude_unset=True))


class BatchRequest(BaseModel):
    """JSON body: the clips (by prediction id) whose explanations make the per-genre maps."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"prediction_ids": ["9f2c…", "41ab…", "c07e…"], "method": "lime", "seed": 0}},
    )

    prediction_ids: list[str] = Field(min_length=2, description="ids predictions returned; duplicates count once")
    model: str | None = Field(None, description="bundle name; default: the service's default")
    method: Method = Method.lime
    seed: int = Field(0, ge=0, le=2**31 - 1)


REQUEST_MODELS = (ExplanationRequest, ExplanationUpload)  # read by the route itself: schemas installed
