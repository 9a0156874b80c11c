// Your clip and what the model hears: choosing it, the upload, the probability bars and the gradient preview.
import { api, followJob, Latest, showMedia, withKey } from "./api.js";
import { $, clearError, showError } from "./dom.js";

let file = null;     // the chosen clip
let clipUrl = null;  // the same clip, playable in this tab
let model = null;    // the chosen model; before the model list has arrived the service's default answers
const request = new Latest();  // the prediction under way and its preview: a new clip, upload or model supersedes them
let hooks = { clip() {}, prediction() {} };
const MAX_BARS = 12;  // a tagger answers 50 tags: the strongest dozen are shown

// `on.clip(url)`: a clip was chosen; `on.prediction(prediction)`: its probabilities are on show.
export function setUpPredict(on) {
  hooks = on;
  const zone = $("drop-zone");
  $("file-input").addEventListener("change", (e) => chooseFile(e.target.files[0]));
  zone.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file-input").click(); }
  });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    chooseFile(e.dataTransfer.files[0]);
  });
  $("upload-form").addEventListener("submit", predict);
}

export function useModel(name) { model = name; }

// Another model was chosen: what the previous one heard is no longer shown, nor still awaited.
export function forgetPrediction() {
  request.stop();
  $("prediction").hidden = true;
}

function chooseFile(chosen) {
  if (!chosen) return;
  request.stop();
  clearError();
  file = chosen;
  if (clipUrl) URL.revokeObjectURL(clipUrl);
  clipUrl = URL.createObjectURL(file);
  $("file-name").textContent = `${file.name} · ${(file.size / 1048576).toFixed(2)} MiB`;
  const player = $("original-player");
  player.src = clipUrl;
  player.hidden = false;
  $("predict-button").disabled = false;
  hooks.clip(clipUrl);
}

// What makes the answer mean less (clipping, a narrow band, a cut upload), above the probabilities.
function renderWarnings(warnings) {
  const list = $("warnings");
  list.replaceChildren();
  for (const warning of warnings) {
    const item = document.createElement("li");
    item.dataset.code = warning.code;
    item.textContent = warning.detail;
    list.append(item);
  }
  list.hidden = warnings.length === 0;
}

function renderBars(prediction) {
  const entries = Object.entries(prediction.probabilities).sort((a, b) => b[1] - a[1]).slice(0, MAX_BARS);
  const list = $("bars");
  list.replaceChildren();
  entries.forEach(([genre, p], i) => {
    const item = document.createElement("li");
    if (i === 0) item.className = "top";
    item.innerHTML = `<span class="name"></span><span class="track" role="presentation"><span class="fill"></span></span>` +
      `<span class="value"></span>`;
    item.querySelector(".name").textContent = i === 0 ? `${genre} ★` : genre;
    item.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    item.querySelector(".value").textContent = `${(100 * p).toFixed(1)} %`;
    item.setAttribute("aria-label", `${genre}: ${(100 * p).toFixed(1)} percent`);
    list.append(item);
  });
  const tags = prediction.kind === "tags";
  list.setAttribute("aria-label", tags ? "Tag probabilities, each on its own, highest first" : "Genre probabilities, highest first");
  let summary = tags
    ? `Strongest tag ${entries[0][0]} (${(100 * entries[0][1]).toFixed(1)} %); tags are independent, so the bars need ` +
      `not sum to 100 %. From ${prediction.windows} piece(s) over ${prediction.duration_s.toFixed(1)} s.`
    : `Most likely ${entries[0][0]} (${(100 * entries[0][1]).toFixed(1)} %), from ` +
      `${prediction.windows} windows over ${prediction.duration_s.toFixed(1)} s.`;
  if (prediction.truncated) {
    summary += ` The upload is ${prediction.source_duration_s.toFixed(1)} s long; only the first ` +
      `${prediction.max_duration_s} s were analysed.`;
  }
  $("prediction-summary").textContent = summary;
}

async function predict(event) {
  event.preventDefault();
  if (!file) return;
  clearError();
  $("predict-button").disabled = true;
  const signal = request.start();
  const form = new FormData();
  form.append("file", file);
  try {
    const query = new URLSearchParams(model ? { model } : {});  // never a model named "null"
    $("gradient-preview").hidden = true;
    const prediction = await api(`/v1/predictions?${query}`, { method: "POST", body: form, signal });
    if (signal.aborted) return;
    showGradientPreview(prediction, signal);
    renderWarnings(prediction.explainable ? prediction.warnings
      : [...prediction.warnings, { code: "not_explainable", detail: prediction.not_explainable }]);
    renderBars(prediction);
    $("prediction").hidden = false;
    hooks.prediction(prediction);
  } catch (problem) {
    if (!signal.aborted) showError(problem);
  } finally {
    $("predict-button").disabled = false;
  }
}

// After each prediction, a gradient explanation (a few backward passes) shown under the bars as
// soon as it is done, labelled a preview. It is a bonus: a busy queue or a newer upload skips it,
// and the prediction never waits for it.
async function showGradientPreview(prediction, signal) {
  const body = { prediction_id: prediction.id, model: prediction.model, method: "gradient" };
  try {
    const response = await fetch("/v1/explanations", withKey({
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal,
    }));
    if (response.status !== 202) return;
    const job = await followJob(await response.json(), { signal });
    if (job.status !== "succeeded" || signal.aborted) return;
    const genre = job.result.explained_genres[0];
    const f = job.result.faithfulness[genre];
    await showMedia($("gradient-heatmap"), job.links.heatmap);
    if (signal.aborted) return;
    $("gradient-heatmap").alt = `Gradient preview for ${genre} over the clip's mel spectrogram`;
    $("gradient-caption").textContent = `Preview by integrated gradients (no sampling, ` +
      `${job.result.timings_s.explainer_fit.toFixed(2)} s of backward passes): what pushed the model towards ` +
      `${genre}. Removing its top segments first gives a deletion area of ${f.deletion_auc.toFixed(3)} ` +
      `(random order ${f.random_deletion_auc.toFixed(3)}); LIME or SHAP below give the full explanation.`;
    $("gradient-preview").hidden = false;
  } catch {
    // the preview is a bonus: the prediction above stands without it
  }
}
