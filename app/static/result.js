// A finished explanation on the page: heatmap, the three players, top segments, cost, stability, faithfulness.
import { showMedia } from "./api.js";
import { $, fillRows } from "./dom.js";

export function hz(value) { return value >= 1000 ? `${(value / 1000).toFixed(1)} kHz` : `${Math.round(value)} Hz`; }

export function renderResult(job, clipUrl) {
  const result = job.result;
  const genre = result.explained_genres[0];
  showMedia($("heatmap"), job.links.heatmap);
  $("heatmap").alt = `Attribution heatmap for ${genre} over the clip's mel spectrogram (${result.method.toUpperCase()}, ` +
    `${result.segments.length} segments).`;
  $("play-original").src = clipUrl;
  showMedia($("play-evidence"), job.links.audio);
  showMedia($("play-complement"), job.links.complement_audio);
  const weights = result.weights[genre];
  const order = weights.map((w, i) => [w, i]).sort((a, b) => b[0] - a[0]).slice(0, 8);
  fillRows($("segments").querySelector("tbody"), order.map(([weight, index]) => {
    const s = result.segments[index];
    return [`${s.start_s.toFixed(1)}–${s.end_s.toFixed(1)} s`,
      `${hz(s.low_hz)}–${hz(s.high_hz)}${s.component !== "all" ? ` (${s.component})` : ""}`, weight.toFixed(4)];
  }));
  const f = result.faithfulness[genre];
  $("faithfulness").textContent =
    `Removing segments in the explanation's order: area under the ${genre} probability curve ${f.deletion_auc.toFixed(3)} ` +
    `(random order: ${f.random_deletion_auc.toFixed(3)}). Adding them in order: ${f.insertion_auc.toFixed(3)} ` +
    `(random: ${f.random_insertion_auc.toFixed(3)}). A faithful explanation makes the probability fall faster ` +
    `than random when its top segments are removed (lower deletion area) and rise faster when they are added ` +
    `(higher insertion area).`;
  $("listening").textContent = describeListening(result.listening);
  showMedia($("faithfulness-plot"), job.links.faithfulness);
  $("cost").textContent = describeCost(result);
  $("stability").textContent = describeStability(result.stability[genre], result.method) +
    describeSampling(result.sampling);
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

// The evidence audio and its complement through the model, beside random segments of the same area.
function describeListening(l) {
  if (!l) return "";
  const kept = (p) => `${Math.round(100 * p / Math.max(l.p, 1e-9))} %`;
  return `Played to the model again, the evidence audio alone keeps ${kept(l.evidence.p_evidence)} of its ` +
    `${l.label} confidence (${l.p.toFixed(2)} → ${l.evidence.p_evidence.toFixed(2)}); keeping as much random area ` +
    `(${Math.round(100 * l.area)} % of the spectrogram) keeps ${kept(l.control.p_evidence)}. Without the evidence the ` +
    `confidence falls by ${l.evidence.faithfulness.toFixed(2)} (random area: ${l.control.faithfulness.toFixed(2)}). ` +
    `Average drop ${l.evidence.average_drop.toFixed(1)}, gain ${l.evidence.average_gain.toFixed(1)}, ` +
    `top label kept: ${l.evidence.fidelity_in ? "yes" : "no"}.`;
}

// How much the ranking depends on the random draw: re-fits of the same samples (no new model calls).
// LIME drawing in rounds until its ranking holds (a costly model's defaults): when it stopped, and why.
function describeSampling(s) {
  if (!s || s.stop_when_stable === null) return "";
  const drawn = `${s.paired ? "Paired masks were" : "Masks were"} drawn in ${s.rounds} round${s.rounds > 1 ? "s" : ""}`;
  const asked = `${Math.round(100 * s.stop_when_stable)} %`;
  return s.converged
    ? ` ${drawn} and stopped at ${s.samples_per_game} of ${s.cap} samples a game, once ${asked} of the top segments held.`
    : ` ${drawn} up to the cap of ${s.cap} samples a game without the top segments holding at ${asked} ` +
      `(${Math.round(100 * s.top_k_overlap)} % did): read this ranking loosely.`;
}

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
