// The model menu: the models the service serves, the chosen one described, and the upload limits.
import { api } from "./api.js";
import { $, fillSelect, showError } from "./dom.js";

function mib(bytes) { return `${Math.round(bytes / 1048576)} MiB`; }

const INPUTS = {
  logmel_windows: (m) => `log-mel windows (${m.features.n_mels} bands)`,
  waveform: (m) => `the waveform${m.input.normalize ? ", normalised" : ""}`,
  filterbank: (m) => `a ${m.input.extractor} filterbank (${m.input.n_mels} bins)`,
};

// What the model takes and answers, what runs it, where it comes from and how it did on held-out clips.
function describeModel(model) {
  const input = INPUTS[model.input.kind](model);
  const rate = model.input.sample_rate ?? model.features.sample_rate;
  const pieces = model.input.chunk_seconds ? ` in ${model.input.chunk_seconds} s chunks` : "";
  const output = model.output.kind === "tags" ? `${model.genres.length} independent tags` : `${model.genres.length} exclusive labels`;
  const acc = model.metrics ? `held-out clip accuracy ${(100 * model.metrics.clip_accuracy).toFixed(1)} % on ` +
    `${model.metrics.tracks} test clips` : "not evaluated here";
  const source = model.provenance.attribution || model.provenance.description || model.training_data?.description;
  $("model-info").textContent = `“${model.name}” (${model.architecture}, ${model.model_format}) takes ${input} at ` +
    `${rate} Hz${pieces} and answers ${output}; ${acc}.` + (source ? ` From: ${source}` : "");
}

// Fill the menu from /v1/models. `on.models(all)` once, then `on.choice(model, changed)` for the default
// model (changed: false) and for each model the person chooses later (changed: true).
export async function loadModels(on) {
  try {
    const answer = await api("/v1/models");
    const named = (name) => answer.models.find((m) => m.name === name);
    const select = $("model-select");
    fillSelect(select, answer.models.map((m) => [m.name, m.name + (m.default ? " (default)" : "")]), answer.default);
    on.models(answer.models);
    select.addEventListener("change", () => {
      const model = named(select.value);
      describeModel(model);
      on.choice(model, true);
    });
    const model = named(answer.default);
    describeModel(model);
    const limits = answer.limits;
    $("limits").textContent = `${limits.accepted_formats} · up to ${mib(limits.max_upload_bytes)} · ` +
      `at least ${limits.min_duration_s} s · the first ${limits.max_duration_s} s are analysed`;
    on.choice(model, false);
  } catch (problem) {
    showError(problem);
  }
}
