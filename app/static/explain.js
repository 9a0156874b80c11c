// The "Why?" section: its menus, and an explanation of the prediction on show, queued, followed and shown.
import { api, Latest } from "./api.js";
import { $, clearError, fillSelect, showError } from "./dom.js";
import { runJob } from "./job.js";
import { renderResult } from "./result.js";
import { offerComparisons, stopComparing } from "./compare.js";

let methods = [];        // the service's explanation methods
let models = [];         // every served model's name
let prediction = null;   // what an explanation is asked for
let clipUrl = null;      // the clip as chosen, for the "Original" player
const request = new Latest();  // the explanation under way: a new clip, prediction, model or explanation supersedes it
const CLIP_GONE = new Set(["clip_evicted", "clip_not_kept"]);  // the store no longer holds the clip, or never did

export function setUpExplain() {
  $("explain-form").addEventListener("submit", explain);
}

// The menus list the service's own choices (/v1/options), so the page never offers one it lacks.
export async function loadOptions() {
  try {
    const options = await api("/v1/options");
    methods = options.methods.map((m) => m.value);
    const form = $("explain-form");
    const menus = [["method", options.methods], ["games", options.games], ["segmentation", options.segmentations]];
    for (const [name, choices] of menus) {
      fillSelect(form.querySelector(`[name=${name}]`), choices.map((c) => [c.value, c.label]), options.defaults[name]);
    }
    form.querySelector("[name=n_bands]").value = options.defaults.n_bands;
    const samples = form.querySelector("[name=num_samples]");
    samples.value = options.defaults.num_samples ?? "";
    samples.max = options.max_num_samples;
  } catch (problem) {
    showError(problem);
  }
}

export function useModels(names) { models = names; }

function stop() {
  request.stop();
  stopComparing();
}

// A new clip: an explanation still under way would be of the previous one.
export function useClip(url) {
  stop();
  clipUrl = url;
}

// A model was chosen: its own explanation defaults (a costly model's cheaper ones) fill the form, and a
// method whose maps survived the randomisation of this model's weights is marked where it is offered.
export function useModelDefaults(model) {
  const form = $("explain-form");
  const checks = model.sanity_checks?.methods ?? {};
  for (const option of form.querySelector("[name=method]").options) {
    option.dataset.label ??= option.textContent;
    const flagged = checks[option.value]?.survives_randomisation === true;
    option.textContent = option.dataset.label + (flagged ? " ⚠ its maps survive randomised weights" : "");
  }
  const own = model.explanation_defaults;
  if (own.n_bands !== undefined) form.querySelector("[name=n_bands]").value = own.n_bands;
  if (own.num_samples !== undefined) form.querySelector("[name=num_samples]").value = own.num_samples;
  if (own.segmentation !== undefined) form.querySelector("[name=segmentation]").value = own.segmentation;
}

// A new prediction on show: it is the one to explain, for any of its labels (the strongest first).
export function usePrediction(shown) {
  stop();
  prediction = shown;
  const labels = Object.entries(shown.probabilities).sort((a, b) => b[1] - a[1]).map(([label]) => label);
  fillSelect($("explain-form").querySelector("[name=genres]"), labels.map((l) => [l, l]), labels[0]);
  $("explain").hidden = false;
  $("result").hidden = true;
}

// Another model was chosen: nothing of the previous prediction's explanations stays or arrives.
export function forgetExplanations() {
  stop();
  $("explain").hidden = true;
}

async function explain(event) {
  event.preventDefault();
  clearError();
  const data = Object.fromEntries(new FormData($("explain-form")));
  if (data.num_samples === "") delete data.num_samples;  // each kind of game has its own default
  else data.num_samples = Number(data.num_samples);
  data.n_bands = Number(data.n_bands);
  data.genres = [data.genres];
  data.prediction_id = prediction.id;
  data.model = prediction.model;
  $("explain-button").disabled = true;
  $("result").hidden = true;
  stopComparing();
  const signal = request.start();
  try {
    const job = await askAndFollow(data, signal);
    if (signal.aborted) return;
    renderResult(job, clipUrl);
    offerComparisons(job, data, { methods, models });
    $("result").hidden = false;
  } catch (problem) {
    if (!signal.aborted) showError(problem);
  } finally {
    $("explain-button").disabled = false;
  }
}

// By prediction id while the service keeps the clip; the clip itself from this page when it was
// never kept or has been evicted since (the service said why, so the upload is not a guess).
async function askAndFollow(data, signal) {
  const clip = async () => (await fetch(clipUrl)).blob();
  if (!prediction.explainable) return runJob(data, { signal, clip: await clip() });
  try {
    return await runJob(data, { signal });
  } catch (problem) {
    if (signal.aborted || !CLIP_GONE.has(problem.code)) throw problem;
    return runJob(data, { signal, clip: await clip() });
  }
}

