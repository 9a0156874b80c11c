"""Every URL the API hands out, built in one place."""

from __future__ import annotations

from musicxai.explain.preview import PREVIEW_FILE
from musicxai.explain.result import ARTIFACT_FILES
from musicxai.service.ledger import JobRecord, JobStatus

EXPLANATIONS = "/v1/explanations"
ALE = "/v1/global/ale"


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
