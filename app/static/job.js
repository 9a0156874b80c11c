// One explanation job on the page: queued, then followed to its end with its progress bar, stage and preview.
import { api, followJob, showMedia } from "./api.js";
import { $ } from "./dom.js";

let owner = null;  // the run the progress bar belongs to: the latest one started

function renderPreview(job) {
  const p = job.preview;
  showMedia($("preview-heatmap"), job.links.preview_heatmap);
  $("preview-heatmap").alt = `Preview for ${p.genre}: how much its probability drops when each ${p.segment_seconds} s ` +
    `slice of the clip is left out.`;
  $("preview-caption").textContent = `Preview, while the ${job.method.toUpperCase()} explanation runs: how much ` +
    `${p.genre} (p = ${p.probability.toFixed(2)}) drops when each ${p.segment_seconds} s slice is left out ` +
    `(${p.windows_evaluated} windows, ${p.seconds.toFixed(1)} s). It is replaced by the full explanation.`;
  $("preview").hidden = false;
}

function showProgress(job, preview) {
  $("job-progress").value = job.progress;
  $("job-stage").textContent = `${job.status === "queued" ? "Waiting for a worker" : job.stage}… ` +
    `${Math.round(100 * job.progress)} %`;
  if (preview && job.preview && $("preview").hidden) renderPreview(job);
}

// The request for a job: JSON naming a stored clip by its prediction id, or, given the clip itself,
// multipart with the clip and the same fields (for a clip the store no longer holds, or never kept).
function jobRequest(data, clip) {
  if (!clip) return { headers: { "content-type": "application/json" }, body: JSON.stringify(data) };
  const form = new FormData();
  for (const [name, value] of Object.entries(data)) if (name !== "prediction_id") form.append(name, value);
  form.append("file", clip);
  return { body: form };
}

// Queue one job and follow it to the end; the finished job, or a thrown problem. Aborting `signal`
// stops following it and takes its progress off the page, unless a newer run has the bar already.
export async function runJob(data, { preview = true, signal, clip = null } = {}) {
  const mine = {};
  owner = mine;
  $("preview").hidden = true;
  $("job").hidden = false;
  try {
    const queued = await api("/v1/explanations", { method: "POST", ...jobRequest(data, clip), signal });
    const job = await followJob(queued, { signal, onProgress: (unfinished) => showProgress(unfinished, preview) });
    if (job.status === "failed") throw { title: "The explanation failed", detail: job.error };
    $("job-progress").value = 1;
    $("job-stage").textContent = "Done";
    $("preview").hidden = true;
    return job;
  } catch (problem) {
    if (signal?.aborted && owner === mine) $("job").hidden = true;
    throw problem;
  }
}
