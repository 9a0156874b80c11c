// Comparing the explanation on show with another one (the other method, or another model) side by side.
import { api, Latest, showMedia } from "./api.js";
import { $, clearError, fillRows, fillSelect, showError } from "./dom.js";
import { runJob } from "./job.js";
import { hz } from "./result.js";

let first = null;   // the finished explanation on show
let params = null;  // what it was asked with, the base of the other one
const request = new Latest();  // the comparison under way: a newer one, or a new explanation, supersedes it

export function setUpCompare() {
  $("compare-form").addEventListener("submit", compareWith);
}

export function stopComparing() { request.stop(); }

// What a finished explanation can be compared with: the other method on this model, this method on
// each other model (the service refuses, with its reason, where the segments do not match).
export function offerComparisons(job, data, { methods, models }) {
  first = job;
  params = data;
  const choices = [...methods.filter((m) => m !== job.method).map((method) => ({ method, model: job.model })),
    ...models.filter((name) => name !== job.model).map((model) => ({ method: job.method, model }))];
  fillSelect($("compare-with"), choices.map((c) => [JSON.stringify(c), `${c.method.toUpperCase()} on ${c.model}`]), null);
  $("comparison").hidden = true;
}

async function compareWith(event) {
  event.preventDefault();
  clearError();
  $("compare-button").disabled = true;
  const signal = request.start();
  const [job, data] = [first, params];
  try {
    const choice = JSON.parse($("compare-with").value);
    const other = await runJob({ ...data, ...choice }, { preview: false, signal });
    const report = await api(`/v1/explanations/${job.id}/compare/${other.id}`, { signal });
    if (signal.aborted) return;
    renderComparison(job, other, report);
  } catch (problem) {
    if (!signal.aborted) showError(problem);
  } finally {
    $("compare-button").disabled = false;
  }
}

function renderComparison(one, two, report) {
  const name = (job) => `${job.method.toUpperCase()} on ${job.model}`;
  showMedia($("compare-a"), one.links.heatmap);
  showMedia($("compare-b"), two.links.heatmap);
  $("compare-a").alt = `Heatmap of ${name(one)} for ${report.genre}`;
  $("compare-b").alt = `Heatmap of ${name(two)} for ${report.genre}`;
  $("compare-a-caption").textContent = name(one);
  $("compare-b-caption").textContent = name(two);
  const shared = Math.round(report.top_k_overlap * report.top_k);
  const verdict = report.kendall_tau >= 0.7 && shared >= report.top_k - 1
    ? "They largely tell the same story."
    : "They tell different stories: listen to the segments below before trusting either.";
  $("compare-summary").textContent = `For ${report.genre}, ${name(one)} and ${name(two)} share ${shared} of ` +
    `their top ${report.top_k} segments; their rankings of all ${report.segments} segments correlate at ` +
    `Kendall τ = ${report.kendall_tau.toFixed(2)}. ${verdict}`;
  fillRows($("disagreements").querySelector("tbody"), report.disagreements.map((d) => {
    const s = d.segment;
    return [`${s.start_s.toFixed(1)}–${s.end_s.toFixed(1)} s`, `${hz(s.low_hz)}–${hz(s.high_hz)}`,
      String(d.rank_a), String(d.rank_b)];
  }));
  $("comparison").hidden = false;
}
