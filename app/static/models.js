// The model menu: the models the service serves, the chosen one described, and the upload limits.
import { api } from "./api.js";
import { $, fillSelect, showError } from "./dom.js";

function mib(bytes) { return `${Math.round(bytes / 1048576)} MiB`; }

function describeModel(model) {
  const acc = model.metrics ? `${(100 * model.metrics.clip_accuracy).toFixed(1)} %` : "not evaluated";
  $("model-info").textContent =
    `“${model.name}” (${model.architecture}, ${model.features.sample_rate} Hz, ${model.features.n_mels} mel bands): ` +
    `held-out clip accuracy ${acc} on ${model.metrics ? model.metrics.tracks : "?"} test tracks. ` +
    `Trained on: ${model.training_data.description}`;
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
