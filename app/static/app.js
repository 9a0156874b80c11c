// The page talks to the same /v1 API as any client; nothing is loaded from outside this server.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = "musicxai-key";  // kept for this tab only: closing it forgets the key
const state = {
  file: null, objectUrl: null, prediction: null, limits: null, models: [], model: null,
  key: sessionStorage.getItem(KEY_STORAGE), keyPrompt: null, job: null, jobParams: null, methods: [], aleIndex: null,
  maps: null,
};

function showError(problem) {
  const box = $("error");
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = problem.title || "Something went wrong";
  const detail = document.createElement("span");
  detail.textContent = problem.detail || "";
  box.append(title, detail);
  box.hidden = false;
}

function clearError() { $("error").hidden = true; }

const BUSY_RETRIES = 10;  // a 503 or 429 with Retry-After: a bound is reached, the request can succeed later

function withKey(options = {}) {
  if (!state.key) return options;
  return { ...options, headers: { ...(options.headers || {}), authorization: `Bearer ${state.key}` } };
}

// A 401: this service needs an API key (or another one). Ask once, however many requests met it.
function askForKey(problem) {
  state.keyPrompt ??= new Promise((resolve) => {
    const form = $("key-form");
    $("key-message").textContent = problem.detail || "";
    form.hidden = false;
    $("key-input").focus();
    form.onsubmit = (event) => {
      event.preventDefault();
      state.key = $("key-input").value.trim();
      sessionStorage.setItem(KEY_STORAGE, state.key);
      form.hidden = true;
      state.keyPrompt = null;
      resolve();
    };
  });
  return state.keyPrompt;
}

// Images and audio come from the API too: with a key they are fetched with it and shown from memory.
async function showMedia(element, url) {
  if (!state.key) { element.src = url; return; }
  const response = await fetch(url, withKey()).catch(() => null);
  if (!response || !response.ok) return;  // the element stays empty, its alt text says what it was
  if (element.dataset.objectUrl) URL.revokeObjectURL(element.dataset.objectUrl);
  element.dataset.objectUrl = URL.createObjectURL(await response.blob());
  element.src = element.dataset.objectUrl;
}

async function waitWhileBusy(seconds, problem) {
  const box = $("busy");
  box.hidden = false;
  for (let left = seconds; left > 0; left -= 1) {
    box.textContent = `${problem.title || "Busy"}: ${problem.detail || "the service is busy"} Retrying in ${left} s…`;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  box.hidden = true;
}

async function api(path, options = {}) {
  let response;
  for (let attempt = 0; ; attempt += 1) {
    try {
      response = await fetch(path, withKey(options));
    } catch (err) {
      throw { title: "The service could not be reached", detail: String(err) };
    }
    if (response.status === 401) {
      await askForKey(await response.json().catch(() => ({})));
      continue;
    }
    const retryAfter = Number(response.headers.get("retry-after"));
    const later = response.status === 503 || response.status === 429;
    if (!later || !(retryAfter > 0) || attempt >= BUSY_RETRIES) break;
    await waitWhileBusy(Math.ceil(retryAfter), await response.json().catch(() => ({})));
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    throw typeof body === "object" ? body : { title: `Error ${response.status}`, detail: body };
  }
  return body;
}

function mib(bytes) { return `${Math.round(bytes / 1048576)} MiB`; }

function describeModel() {
  const model = state.models.find((m) => m.name === state.model);
  const acc = model.metrics ? `${(100 * model.metrics.clip_accuracy).toFixed(1)} %` : "not evaluated";
  $("model-info").textContent =
    `“${model.name}” (${model.architecture}, ${model.features.sample_rate} Hz, ${model.features.n_mels} mel bands): ` +
    `held-out clip accuracy ${acc} on ${model.metrics ? model.metrics.tracks : "?"} test tracks. ` +
    `Trained on: ${model.training_data.description}`;
}

async function loadModel() {
  try {
    const models = await api("/v1/models");
    state.models = models.models;
    state.model = models.default;
    const select = $("model-select");
    for (const m of models.models) {
      const option = document.createElement("option");
      option.value = m.name;
      option.textContent = m.name + (m.default ? " (default)" : "");
      option.selected = m.default;
      select.append(option);
    }
    select.addEventListener("change", () => {
      state.model = select.value;
      describeModel();
      loadAle();
      loadMaps();
      $("prediction").hidden = true;
      $("explain").hidden = true;
    });
    describeModel();
    state.limits = models.limits;
    $("limits").textContent = `${models.limits.accepted_formats} · up to ${mib(models.limits.max_upload_bytes)} · ` +
      `at least ${models.limits.min_duration_s} s · the first ${models.limits.max_duration_s} s are analysed`;
    loadAle();
    loadMaps();
  } catch (problem) {
    showError(problem);
  }
}

// The menus list the service's own choices (/v1/options), so the page never offers one it lacks.
async function loadOptions() {
  try {
    const options = await api("/v1/options");
    state.methods = options.methods.map((m) => m.value);
    const form = $("explain-form");
    const menus = [["method", options.methods], ["games", options.games], ["segmentation", options.segmentations]];
    for (const [name, choices] of menus) {
      const select = form.querySelector(`[name=${name}]`);
      for (const choice of choices) {
        const option = document.createElement("option");
        option.value = choice.value;
        option.textContent = choice.label;
        option.selected = choice.value === options.defaults[name];
        select.append(option);
      }
    }
    form.querySelector("[name=n_bands]").value = options.defaults.n_bands;
    const samples = form.querySelector("[name=num_samples]");
    samples.value = options.defaults.num_samples ?? "";
    samples.max = options.max_num_samples;
  } catch (problem) {
    showError(problem);
  }
}

function chooseFile(file) {
  if (!file) return;
  clearError();
  state.file = file;
  if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
  state.objectUrl = URL.createObjectURL(file);
  $("file-name").textContent = `${file.name} · ${(file.size / 1048576).toFixed(2)} MiB`;
  const player = $("original-player");
  player.src = state.objectUrl;
  player.hidden = false;
  $("predict-button").disabled = false;
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
  const entries = Object.entries(prediction.probabilities).sort((a, b) => b[1] - a[1]);
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
  let summary = `Most likely ${entries[0][0]} (${(100 * entries[0][1]).toFixed(1)} %), from ` +
    `${prediction.windows} windows over ${prediction.duration_s.toFixed(1)} s.`;
  if (prediction.truncated) {
    summary += ` The upload is ${prediction.source_duration_s.toFixed(1)} s long; only the first ` +
      `${prediction.max_duration_s} s were analysed.`;
  }
  $("prediction-summary").textContent = summary;
}

async function predict(event) {
  event.preventDefault();
  if (!state.file) return;
  clearError();
  $("predict-button").disabled = true;
  const form = new FormData();
  form.append("file", state.file);
  try {
    // before the model list has arrived the service's default answers, never a model named "null"
    const query = new URLSearchParams(state.model ? { model: state.model } : {});
    $("gradient-preview").hidden = true;
    state.prediction = await api(`/v1/predictions?${query}`, { method: "POST", body: form });
    showGradientPreview(state.prediction);
    renderWarnings(state.prediction.warnings);
    renderBars(state.prediction);
    $("prediction").hidden = false;
    $("explain").hidden = false;
    $("result").hidden = true;
  } catch (problem) {
    showError(problem);
  } finally {
    $("predict-button").disabled = false;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// After each prediction, a gradient explanation (a few backward passes) shown under the bars as
// soon as it is done, labelled a preview. It is a bonus: a busy queue or a newer upload skips it,
// and the prediction never waits for it.
async function showGradientPreview(prediction) {
  const body = { prediction_id: prediction.id, model: prediction.model, method: "gradient" };
  try {
    const response = await fetch("/v1/explanations", withKey({
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    }));
    if (response.status !== 202) return;
    let job = await response.json();
    while (job.status === "queued" || job.status === "running") {
      await sleep(500);
      if (state.prediction !== prediction) return;
      job = await api(job.links.self);
    }
    if (job.status !== "succeeded" || state.prediction !== prediction) return;
    const genre = job.result.explained_genres[0];
    const f = job.result.faithfulness[genre];
    await showMedia($("gradient-heatmap"), job.links.heatmap);
    $("gradient-heatmap").alt = `Gradient preview for ${genre} over the clip's mel spectrogram`;
    $("gradient-caption").textContent = `Preview by integrated gradients (no sampling, ` +
      `${job.result.timings_s.explainer_fit.toFixed(2)} s of backward passes): what pushed the model towards ` +
      `${genre}. Removing its top segments first gives a deletion area of ${f.deletion_auc.toFixed(3)} ` +
      `(random order ${f.random_deletion_auc.toFixed(3)}); LIME or SHAP below give the full explanation.`;
    $("gradient-preview").hidden = false;
  } catch (problem) {
    // the preview is a bonus: the prediction above stands without it
  }
}

// Queue one job and follow it to the end, with its progress and preview on the page.
async function runJob(data, { preview = true } = {}) {
  $("preview").hidden = true;
  $("job").hidden = false;
  let job = await api("/v1/explanations", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(data),
  });
  while (job.status === "queued" || job.status === "running") {
    $("job-progress").value = job.progress;
    $("job-stage").textContent = `${job.status === "queued" ? "Waiting for a worker" : job.stage}… ` +
      `${Math.round(100 * job.progress)} %`;
    if (preview && job.preview && $("preview").hidden) renderPreview(job);
    await sleep(500);
    job = await api(`/v1/explanations/${job.id}`);
  }
  if (job.status === "failed") throw { title: "The explanation failed", detail: job.error };
  $("job-progress").value = 1;
  $("job-stage").textContent = "Done";
  $("preview").hidden = true;
  return job;
}

async function explain(event) {
  event.preventDefault();
  clearError();
  const data = Object.fromEntries(new FormData($("explain-form")));
  if (data.num_samples === "") delete data.num_samples;  // each kind of game has its own default
  else data.num_samples = Number(data.num_samples);
  data.n_bands = Number(data.n_bands);
  data.prediction_id = state.prediction.id;
  data.model = state.prediction.model;
  $("explain-button").disabled = true;
  $("result").hidden = true;
  try {
    state.job = await runJob(data);
    state.jobParams = data;
    await renderResult(state.job);
  } catch (problem) {
    showError(problem);
  } finally {
    $("explain-button").disabled = false;
  }
}

// What a finished explanation can be compared with: the other method on this model, this method on
// each other model (the service refuses, with its reason, where the segments do not match).
function fillCompareChoices(job) {
  const select = $("compare-with");
  select.replaceChildren();
  const choices = [...state.methods.filter((m) => m !== job.method).map((method) => ({ method, model: job.model })),
    ...state.models.filter((m) => m.name !== job.model).map((m) => ({ method: job.method, model: m.name }))];
  for (const choice of choices) {
    const option = document.createElement("option");
    option.value = JSON.stringify(choice);
    option.textContent = `${choice.method.toUpperCase()} on ${choice.model}`;
    select.append(option);
  }
  $("comparison").hidden = true;
}

async function compareWith(event) {
  event.preventDefault();
  clearError();
  $("compare-button").disabled = true;
  try {
    const choice = JSON.parse($("compare-with").value);
    const other = await runJob({ ...state.jobParams, ...choice }, { preview: false });
    const report = await api(`/v1/explanations/${state.job.id}/compare/${other.id}`);
    renderComparison(state.job, other, report);
  } catch (problem) {
    showError(problem);
  } finally {
    $("compare-button").disabled = false;
  }
}

function renderComparison(first, second, report) {
  const name = (job) => `${job.method.toUpperCase()} on ${job.model}`;
  showMedia($("compare-a"), first.links.heatmap);
  showMedia($("compare-b"), second.links.heatmap);
  $("compare-a").alt = `Heatmap of ${name(first)} for ${report.genre}`;
  $("compare-b").alt = `Heatmap of ${name(second)} for ${report.genre}`;
  $("compare-a-caption").textContent = name(first);
  $("compare-b-caption").textContent = name(second);
  const shared = Math.round(report.top_k_overlap * report.top_k);
  const verdict = report.kendall_tau >= 0.7 && shared >= report.top_k - 1
    ? "They largely tell the same story."
    : "They tell different stories: listen to the segments below before trusting either.";
  $("compare-summary").textContent = `For ${report.genre}, ${name(first)} and ${name(second)} share ${shared} of ` +
    `their top ${report.top_k} segments; their rankings of all ${report.segments} segments correlate at ` +
    `Kendall τ = ${report.kendall_tau.toFixed(2)}. ${verdict}`;
  const body = $("disagreements").querySelector("tbody");
  body.replaceChildren();
  for (const d of report.disagreements) {
    const row = document.createElement("tr");
    const s = d.segment;
    for (const text of [`${s.start_s.toFixed(1)}–${s.end_s.toFixed(1)} s`, `${hz(s.low_hz)}–${hz(s.high_hz)}`,
                        String(d.rank_a), String(d.rank_b)]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    body.append(row);
  }
  $("comparison").hidden = false;
}

function hz(value) { return value >= 1000 ? `${(value / 1000).toFixed(1)} kHz` : `${Math.round(value)} Hz`; }

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

async function renderResult(job) {
  const result = job.result;
  const genre = result.explained_genres[0];
  showMedia($("heatmap"), job.links.heatmap);
  $("heatmap").alt = `Attribution heatmap for ${genre} over the clip's mel spectrogram (${result.method.toUpperCase()}, ` +
    `${result.segments.length} segments).`;
  $("play-original").src = state.objectUrl;
  showMedia($("play-evidence"), job.links.audio);
  showMedia($("play-complement"), job.links.complement_audio);
  const weights = result.weights[genre];
  const order = weights.map((w, i) => [w, i]).sort((a, b) => b[0] - a[0]).slice(0, 8);
  const body = $("segments").querySelector("tbody");
  body.replaceChildren();
  for (const [weight, index] of order) {
    const s = result.segments[index];
    const row = document.createElement("tr");
    for (const text of [`${s.start_s.toFixed(1)}–${s.end_s.toFixed(1)} s`,
                        `${hz(s.low_hz)}–${hz(s.high_hz)}${s.component !== "all" ? ` (${s.component})` : ""}`,
                        weight.toFixed(4)]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    body.append(row);
  }
  const f = result.faithfulness[genre];
  $("faithfulness").textContent =
    `Removing segments in the explanation's order: area under the ${genre} probability curve ${f.deletion_auc.toFixed(3)} ` +
    `(random order: ${f.random_deletion_auc.toFixed(3)}). Adding them in order: ${f.insertion_auc.toFixed(3)} ` +
    `(random: ${f.random_insertion_auc.toFixed(3)}). A faithful explanation makes the probability fall faster ` +
    `than random when its top segments are removed (lower deletion area) and rise faster when they are added ` +
    `(higher insertion area).`;
  showMedia($("faithfulness-plot"), job.links.faithfulness);
  $("cost").textContent = describeCost(result);
  $("stability").textContent = describeStability(result.stability[genre], result.method);
  fillCompareChoices(job);
  $("result").hidden = false;
}

function describeCost(result) {
  const evaluated = `${result.engine.windows_evaluated} model windows evaluated in ${result.timings_s.explain.toFixed(1)} s.`;
  if (result.games_played === 0) {
    return `Integrated gradients: no sampling, a few backward passes in ${result.timings_s.explainer_fit.toFixed(2)} s; ` +
      evaluated;
  }
  const games = result.games_played === 1 ? "one game over the whole clip" : `${result.games_played} window games`;
  return `${result.method.toUpperCase()} from ${games}, ${result.samples_per_game} samples each: ` +
    evaluated;
}

// How much the ranking depends on the random draw: re-fits of the same samples (no new model calls).
function describeStability(s, method) {
  if (!s) return "";
  if (method === "gradient") return "Stability: integrated gradients draw nothing, so the same clip always gives this ranking.";
  if (s.exact) return "Stability: every game was played on all its coalitions, so this ranking has no random draw to depend on.";
  const tau = `rank correlation with the re-fits (Kendall τ) ${s.kendall_tau.toFixed(2)}, lowest ${s.kendall_tau_min.toFixed(2)}`;
  if (s.top_k_same === s.refits) {
    return `Stability: the top ${s.top_k} segments are the same in all ${s.refits} re-fits on resamples of the ` +
      `same samples; ${tau}. Re-fits move a ranking less than a new random draw would: a good sign, not a proof.`;
  }
  return `Stability: the top ${s.top_k} segments are the same in only ${s.top_k_same} of ${s.refits} re-fits on ` +
    `resamples of the same samples (${Math.round(100 * s.top_k_overlap)} % of them on average); ${tau}. ` +
    `Another random draw would likely show other top segments: raise the samples, or read the top ones loosely.`;
}

// One genre's ALE curve, large: drawn here from the served curves (bin edges, effect, 95 % band,
// the held-out clips' values as a rug), so switching genre or feature needs no new picture.
const SVG = "http://www.w3.org/2000/svg";

function svgEl(name, attributes, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function ticks(lo, hi, n = 5) { return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1)); }

function drawAle(curve, genre) {
  const svg = $("ale-plot");
  svg.replaceChildren();
  const [W, H, left, right, top, bottom] = [720, 360, 70, 20, 20, 60];
  const effect = curve.effects[genre], lower = curve.lower[genre], upper = curve.upper[genre];
  const xs = curve.edges;
  const [x0, x1] = [Math.min(...xs, ...curve.values), Math.max(...xs, ...curve.values)];
  const ys = [...lower, ...upper, ...effect, 0].filter(Number.isFinite);
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const px = (x) => left + ((x - x0) / (x1 - x0 || 1)) * (W - left - right);
  const py = (y) => top + (1 - (y - y0) / (y1 - y0 || 1)) * (H - top - bottom);
  const band = xs.map((x, i) => `${px(x)},${py(upper[i])}`).concat(
    xs.map((x, i) => `${px(x)},${py(lower[i])}`).reverse());
  svg.append(svgEl("polygon", { class: "band", points: band.join(" ") }));
  svg.append(svgEl("line", { class: "zero", x1: left, x2: W - right, y1: py(0), y2: py(0), "stroke-dasharray": "4 3" }));
  svg.append(svgEl("polyline", { class: "curve", points: xs.map((x, i) => `${px(x)},${py(effect[i])}`).join(" ") }));
  for (const v of curve.values) {
    svg.append(svgEl("line", { class: "rug", x1: px(v), x2: px(v), y1: H - bottom + 4, y2: H - bottom + 14 }));
  }
  svg.append(svgEl("line", { class: "axis", x1: left, x2: left, y1: top, y2: H - bottom }));
  svg.append(svgEl("line", { class: "axis", x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }));
  for (const t of ticks(y0, y1)) {
    svg.append(svgEl("text", { x: left - 6, y: py(t) + 4, "text-anchor": "end" }, t.toFixed(3)));
  }
  for (const t of ticks(x0, x1)) {
    svg.append(svgEl("text", { x: px(t), y: H - bottom + 30, "text-anchor": "middle" }, t.toPrecision(3)));
  }
  svg.append(svgEl("text", { x: (left + W - right) / 2, y: H - 8, "text-anchor": "middle" },
    `${curve.label} (${curve.unit})`));
  svg.append(svgEl("text", { x: 14, y: (top + H - bottom) / 2, "text-anchor": "middle",
    transform: `rotate(-90 14 ${(top + H - bottom) / 2})` }, `change in p(${genre})`));
  const range = Math.max(...effect) - Math.min(...effect);
  $("ale-how").textContent = `How to read it: the line is how much the model's probability of ${genre} moves, on ` +
    `average over ${curve.values.length} held-out clips, as their ${curve.label} is set across its range (0 = the ` +
    `clips' average); here it spans ${range.toFixed(3)}. The band is the ${curve.band}; each tick at the bottom is ` +
    `one clip's own value, so where ticks are few the curve rests on little data.`;
}

async function showAle() {
  const descriptor = state.aleIndex.descriptors.find((d) => d.name === $("ale-descriptor").value);
  const curve = await api(descriptor.links.json);
  const genre = $("ale-genre").value;
  if (!(genre in curve.effects)) return;
  drawAle(curve, genre);
}

// A menu's options from [value, label] pairs, keeping the choice a person made where it is still offered
function fillSelect(select, items) {
  const kept = select.value;
  select.replaceChildren(...items.map(([value, label]) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    return option;
  }));
  if (items.some(([value]) => value === kept)) select.value = kept;
}

function fillAleReader(index) {
  state.aleIndex = index;
  const genres = state.models.find((m) => m.name === state.model).genres;
  fillSelect($("ale-genre"), genres.map((g) => [g, g]));
  fillSelect($("ale-descriptor"), index.descriptors.map((d) => [d.name, `${d.label} (${d.unit})`]));
  $("ale-reader").hidden = $("ale-one").hidden = false;
  showAle().catch(showError);
}

async function loadAle() {
  try {
    const gallery = $("ale-gallery");
    gallery.replaceChildren();
    const index = await api(`/v1/global/ale?model=${encodeURIComponent(state.model)}`);
    fillAleReader(index);
    for (const d of index.descriptors) {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      img.loading = "lazy";
      showMedia(img, d.links.png);
      img.alt = `ALE curves of ten genres against ${d.label} (${d.unit})`;
      const caption = document.createElement("figcaption");
      caption.textContent = `${d.label} (${d.unit})`;
      figure.append(img, caption);
      gallery.append(figure);
    }
  } catch (problem) {
    $("ale-reader").hidden = $("ale-one").hidden = true;
    $("ale-gallery").textContent = problem.detail || "No global plots for this model.";
  }
}

// ColorBrewer RdBu at the two ends, white at zero: the same reading as the heatmaps' colours
function shareColour(value, limit) {
  const t = Math.min(1, Math.abs(value) / (limit || 1));
  const [r, g, b] = value >= 0 ? [178, 24, 43] : [33, 102, 172];
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

function percent(share) { return `${(100 * share).toFixed(1)} %`; }

function carries(share) {
  return share >= 0 ? `carries ${percent(share)} of the evidence` : `counts against the genre (${percent(share)})`;
}

function drawMap(table, rows, view, title) {
  const limit = Math.max(...view.mean.flat().map(Math.abs));
  const caption = document.createElement("caption");
  caption.textContent = `${title} (darkest: ${percent(limit)} of a clip's evidence in one cell)`;
  const head = document.createElement("tr");
  head.append(document.createElement("th"));
  for (let i = 0; i < state.maps.time_bins; i++) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = i % 2 === 0 ? `${(100 * i) / state.maps.time_bins} %` : "";
    head.append(th);
  }
  const thead = document.createElement("thead");
  thead.append(head);
  const body = document.createElement("tbody");
  for (let r = rows.length - 1; r >= 0; r--) {  // high bands on top, as in a spectrogram
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = rows[r];
    tr.append(th);
    view.mean[r].forEach((mean, c) => {
      const td = document.createElement("td");
      td.style.background = shareColour(mean, limit);
      td.title = `${rows[r]}, ${c * 10}-${(c + 1) * 10} % of the clip: ${percent(mean)} ± ${percent(view.std[r][c])}`;
      tr.append(td);
    });
    body.append(tr);
  }
  table.replaceChildren(caption, thead, body);
}

function showMap() {
  const genre = $("maps-genre").value;
  const entry = state.maps.genres[genre];
  if (!entry) return;
  const views = entry.views;
  drawMap($("maps-band"), state.maps.rows.time_band, views.time_band, "Time × mel band");
  drawMap($("maps-source"), state.maps.rows.time_source, views.time_source, "Time × harmonic / percussive");
  const cells = views.time_band.mean.flatMap((row, r) => row.map((mean, c) => ({ mean, r, c })));
  const top = cells.reduce((a, b) => (b.mean > a.mean ? b : a));
  const [harmonic, percussive] = views.time_source.mean.map((row) => row.reduce((a, b) => a + b, 0));
  $("maps-how").textContent = `How to read it: over ${entry.clips} clips the model called ${genre}, the strongest ` +
    `evidence for ${genre} sits in ${state.maps.rows.time_band[top.r]} at ${top.c * 10}-${(top.c + 1) * 10} % of ` +
    `the clip (${percent(top.mean)} of a clip's evidence on average, ± ${percent(views.time_band.std[top.r][top.c])} ` +
    `across clips); the harmonic part ${carries(harmonic)} and the percussive part ${carries(percussive)}. Hover a cell for its mean and spread; a spread as large as the mean means the clips disagree. ` +
    (entry.split_half === null ? "Too few clips to check the map on two halves of them." :
      `Two halves of the clips give maps that correlate at r = ${entry.split_half.toFixed(2)}` +
      (entry.split_half >= 0.7 ? ": the clips share this pattern, it is not a few clips' own." : ": the clips disagree, read this map with care."));
}

async function loadMaps() {
  try {
    const maps = await api(`/v1/global/attributions?model=${encodeURIComponent(state.model)}`);
    state.maps = maps;
    const genres = Object.entries(maps.genres).map(([genre, entry]) => [genre, `${genre} (${entry.clips} clips)`]);
    fillSelect($("maps-genre"), genres);
    $("maps-intro").textContent = `${maps.method.toUpperCase()} explanations of ${maps.data}, each carried onto ` +
      "one grid (tenths of the clip × mel bands, and harmonic / percussive): a cell is the mean share of a clip's " +
      "evidence for the genre the model heard, red for it, blue against it.";
    const gallery = $("maps-gallery");
    gallery.replaceChildren(...Object.entries(maps.links).map(([view, url]) => {
      const img = document.createElement("img");
      img.loading = "lazy";
      img.alt = `Every genre's map, ${view === "time_band" ? "time × mel band" : "time × harmonic / percussive"}`;
      showMedia(img, url);
      return img;
    }));
    $("maps-reader").hidden = $("maps-one").hidden = false;
    showMap();
  } catch (problem) {
    state.maps = null;
    $("maps-reader").hidden = $("maps-one").hidden = true;
    $("maps-gallery").replaceChildren();
    $("maps-intro").textContent = problem.detail || "No per-genre maps for this model.";
  }
}

function setUp() {
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
  $("explain-form").addEventListener("submit", explain);
  $("compare-form").addEventListener("submit", compareWith);
  for (const id of ["ale-genre", "ale-descriptor"]) $(id).addEventListener("change", () => showAle().catch(showError));
  $("maps-genre").addEventListener("change", showMap);
  loadOptions();
  loadModel();
}

document.addEventListener("DOMContentLoaded", setUp);
