"""Response models: they shape the OpenAPI document at /docs, with examples."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from musicxai.jobs import JobStatus


class JobRef(BaseModel):
    job_id: str
    method: str
    status: JobStatus
    status_url: str


class Prediction(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "9f2c…64 hex…",
                "model": "demo",
                "duration_s": 30.0,
                "source_duration_s": 30.0,
                "truncated": False,
                "max_duration_s": 60.0,
                "windows": 19,
                "probabilities": {"blues": 0.02, "jazz": 0.91, "rock": 0.01},
                "top": ["jazz", "blues", "country"],
                "explanations": [
                    {"job_id": "3b1f…", "method": "lime", "status": "queued", "status_url": "/v1/explanations/3b1f…"}
                ],
            }
        }
    )

    id: str = Field(description="sha256 of the clip; pass it as prediction_id to request explanations")
    model: str
    duration_s: float = Field(description="seconds analysed")
    source_duration_s: float = Field(description="length of the upload")
    truncated: bool = Field(description="true when the upload was longer than max_duration_s and was cut")
    max_duration_s: float
    windows: int
    probabilities: dict[str, float]
    top: list[str]
    explanations: list[JobRef]


class Job(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "3b1f…",
                "status": "running",
                "progress": 0.42,
                "stage": "explaining",
                "model": "demo",
                "method": "lime",
                "params": {"method": "lime", "segmentation": "time_frequency", "num_samples": 1000},
                "attempts": 1,
                "error": None,
                "result": None,
                "links": {},
            }
        }
    )

    id: str
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    stage: str
    model: str
    method: str
    params: dict[str, Any]
    attempts: int
    created: float
    updated: float
    error: str | None
    result: dict[str, Any] | None
    links: dict[str, str]
