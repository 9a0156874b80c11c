"""Every URL the API hands out, built in one place."""

from __future__ import annotations

from musicxai.explain.genre_maps import MapView
from musicxai.explain.result import ARTIFACT_FILES, PREVIEW_FILE
from musicxai.service.ledger import JobRecord, JobStatus

EXPLANATIONS = "/v1/explanations"
ALE = "/v1/global/ale"
ATTRIBUTIONS = "/v1/global/attributions"
BATCHES = f"{ATTRIBUTIONS}/batches"


def job(job_id: str) -> str:
    return f"{EXPLANATIONS}/{job_id}"


def job_links(record: JobRecord) -> dict[str, str]:
    """``self`` always; every artifact once the job has succeeded."""
    links = {"self": job(record.id)}
    if record.preview is not None:
        links["preview_heatmap"] = f"{job(record.id)}/{PREVIEW_FILE}"
    if record.status == JobStatus.succeeded:
        links |= {link: f"{job(record.id)}/{name}" for link, name in ARTIFACT_FILES.items()}
    return links


def ale_file(filename: str, model: str | None) -> str:
    return f"{ALE}/{filename}" + (f"?model={model}" if model else "")


def attributions_file(filename: str, model: str | None) -> str:
    return f"{ATTRIBUTIONS}/{filename}" + (f"?model={model}" if model else "")


def batch(batch_id: str) -> str:
    return f"{BATCHES}/{batch_id}"


def batch_links(batch_id: str, status: JobStatus) -> dict[str, str]:
    """``self`` always; the map pictures once the batch has succeeded."""
    links = {"self": batch(batch_id)}
    if status == JobStatus.succeeded:
        links |= {view.value: f"{batch(batch_id)}/{view.png}" for view in MapView}
    return links
