// The ALE section: one genre's curve against one sound feature, drawn here, and the gallery of all of them.
import { api, Latest, showMedia } from "./api.js";
import { $, fillSelect, showError } from "./dom.js";

let index = null;  // the chosen model's ALE index: its sound features and their links
const indexRequest = new Latest();  // a newer model supersedes it
const curveRequest = new Latest();  // a newer genre, feature or model supersedes it

export function setUpAle() {
  for (const id of ["ale-genre", "ale-descriptor"]) $(id).addEventListener("change", showCurve);
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

async function showCurve() {
  const signal = curveRequest.start();
  try {
    const descriptor = index.descriptors.find((d) => d.name === $("ale-descriptor").value);
    const curve = await api(descriptor.links.json, { signal });
    if (signal.aborted) return;
    const genre = $("ale-genre").value;
    if (!(genre in curve.effects)) return;
    drawAle(curve, genre);
  } catch (problem) {
    if (!signal.aborted) showError(problem);
  }
}

function galleryFigure(d) {
  const figure = document.createElement("figure");
  const img = document.createElement("img");
  img.loading = "lazy";
  showMedia(img, d.links.png);
  img.alt = `ALE curves of ten genres against ${d.label} (${d.unit})`;
  const caption = document.createElement("figcaption");
  caption.textContent = `${d.label} (${d.unit})`;
  figure.append(img, caption);
  return figure;
}

// The ALE of `model` ({name, genres}); an answer for a model chosen before it is dropped.
export async function showAle(model) {
  const signal = indexRequest.start();
  curveRequest.stop();
  const gallery = $("ale-gallery");
  try {
    gallery.replaceChildren();
    const answer = await api(`/v1/global/ale?model=${encodeURIComponent(model.name)}`, { signal });
    if (signal.aborted) return;
    index = answer;
    fillSelect($("ale-genre"), model.genres.map((g) => [g, g]));
    fillSelect($("ale-descriptor"), index.descriptors.map((d) => [d.name, `${d.label} (${d.unit})`]));
    $("ale-reader").hidden = $("ale-one").hidden = false;
    showCurve();
    gallery.append(...index.descriptors.map(galleryFigure));
  } catch (problem) {
    if (signal.aborted) return;
    $("ale-reader").hidden = $("ale-one").hidden = true;
    gallery.textContent = problem.detail || "No global plots for this model.";
  }
}
