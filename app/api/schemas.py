"""HTTP response models: the data plane's answers plus the links a client follows. They shape the
OpenAPI document at /docs, with examples."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.api import urls
from musicxai.explain.attribution import Method
from musicxai.explain.genre_maps import GenreMaps, MapView
from musicxai.explain.params import ExplanationParams
from musicxai.explain.result import ExplanationResult, OcclusionPreview
from musicxai.model.bundle import AleDescriptor, AleIndex
from musicxai.service.genre_map_batches import BatchStatus
from musicxai.service.ledger import JobRecord, JobStatus
from musicxai.service.schemas import Prediction

EXAMPLE_PARAMS = ExplanationParams().model_dump(mode="json")  # examples show the defaults, from their definition


class ProblemField(BaseModel):
    loc: list[str] = Field(description="where the bad value is: body, query, and the field's name")
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error answer, as ``application/problem+json``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = Field(description="what went wrong, in words a person can act on")
    instance: str | None = Field(None, description="the path that was asked for")
    code: str | None = Field(
        None, description="a machine-readable reason where a client may act on it, e.g. predictions_busy, queue_full"
    )
    errors: list[ProblemField] | None = Field(None, description="request validation (422): one entry per bad field")
    checks: dict[str, bool] | None = Field(None, description="readiness (503 from /readyz): each check's state")


class JobRef(BaseModel):
    job_id: str
    method: Method
    status: JobStatus
    status_url: str

    @classmethod
    def of(cls, record: JobRecord) -> JobRef:
        return cls(job_id=record.id, method=record.method, status=record.status, status_url=urls.job(record.id))


class PredictionResponse(Prediction):
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
                    {
                        "job_id": "3b1f…",
                        "method": EXAMPLE_PARAMS["method"],
                        "status": "queued",
                        "status_url": "/v1/explanations/3b1f…",
                    }
                ],
            }
        }
    )

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
                "method": EXAMPLE_PARAMS["method"],
                "params": EXAMPLE_PARAMS,
                "attempts": 1,
                "error": None,
                "result": None,
                "links": {"self": "/v1/explanations/3b1f…"},
            }
        }
    )

    id: str
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    stage: str
    model: str
    method: Method
    params: ExplanationParams
    attempts: int
    created: float
    updated: float
    error: str | None
    result: ExplanationResult | None
    preview: OcclusionPreview | None = Field(description="occlusion of each time slice, published within seconds")
    artifacts_stored: bool | None = Field(
        None,
        description="succeeded jobs: whether the artifacts are still stored (false: evicted to make room, each "
        "link answers 410; asking for the same explanation again computes them anew)",
    )
    links: dict[str, str]

    @classmethod
    def of(cls, record: JobRecord, *, artifacts_stored: bool | None = None) -> Job:
        fields = {name: value for name, value in record if name not in {"clip", "owner", "heartbeat", "task_id"}}
        return cls(**fields, artifacts_stored=artifacts_stored, links=urls.job_links(record))


class AleEntry(AleDescriptor):
    links: dict[str, str] = Field(description="png: the plot, json: the curves")


class AleGallery(AleIndex):
    model: str
    descriptors: list[AleEntry]

    @classmethod
    def of(cls, model: str, index: AleIndex, *, asked: str | None) -> AleGallery:
        entries = [
            AleEntry(
                **entry.model_dump(),
                links={"png": urls.ale_file(entry.png, asked), "json": urls.ale_file(entry.json_file, asked)},
            )
            for entry in index.descriptors
        ]
        return cls(**index.model_dump(exclude={"descriptors"}), model=model, descriptors=entries)


class BundleGenreMaps(GenreMaps):
    """A bundle's per-genre maps, computed offline over its held-out tracks."""

    links: dict[MapView, str] = Field(description="each view's picture: every genre's map on one colour scale")

    @classmethod
    def of(cls, maps: GenreMaps, *, asked: str | None) -> BundleGenreMaps:
        return cls(**dict(maps), links={view: urls.attributions_file(view.png, asked) for view in MapView})


class Batch(BatchStatus):
    """A per-genre batch: its member jobs, and the maps once every member has finished."""

    links: dict[str, str] = Field(description="self; time_band and time_source pictures once succeeded")

    @classmethod
    def of(cls, status: BatchStatus) -> Batch:
        return cls(**dict(status), links=urls.batch_links(status.id, status.status))
