// The per-genre maps section: one genre's mean evidence per band / source and tenth of the clip, and the gallery.
import { api, Latest, showMedia } from "./api.js";
import { $, fillSelect } from "./dom.js";

let maps = null;  // the chosen model's maps, as served
const request = new Latest();  // a newer model supersedes it

export function setUpMaps() {
  $("maps-genre").addEventListener("change", showMap);
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
  for (let i = 0; i < maps.time_bins; i++) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = i % 2 === 0 ? `${(100 * i) / maps.time_bins} %` : "";
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
  const entry = maps?.genres[genre];
  if (!entry) return;
  const views = entry.views;
  drawMap($("maps-band"), maps.rows.time_band, views.time_band, "Time × mel band");
  drawMap($("maps-source"), maps.rows.time_source, views.time_source, "Time × harmonic / percussive");
  const cells = views.time_band.mean.flatMap((row, r) => row.map((mean, c) => ({ mean, r, c })));
  const top = cells.reduce((a, b) => (b.mean > a.mean ? b : a));
  const [harmonic, percussive] = views.time_source.mean.map((row) => row.reduce((a, b) => a + b, 0));
  $("maps-how").textContent = `How to read it: over ${entry.clips} clips the model called ${genre}, the strongest ` +
    `evidence for ${genre} sits in ${maps.rows.time_band[top.r]} at ${top.c * 10}-${(top.c + 1) * 10} % of ` +
    `the clip (${percent(top.mean)} of a clip's evidence on average, ± ${percent(views.time_band.std[top.r][top.c])} ` +
    `across clips); the harmonic part ${carries(harmonic)} and the percussive part ${carries(percussive)}. Hover a cell for its mean and spread; a spread as large as the mean means the clips disagree. ` +
    (entry.split_half === null ? "Too few clips to check the map on two halves of them." :
      `Two halves of the clips give maps that correlate at r = ${entry.split_half.toFixed(2)}` +
      (entry.split_half >= 0.7 ? ": the clips share this pattern, it is not a few clips' own." : ": the clips disagree, read this map with care."));
}

function galleryImage([view, url]) {
  const img = document.createElement("img");
  img.loading = "lazy";
  img.alt = `Every genre's map, ${view === "time_band" ? "time × mel band" : "time × harmonic / percussive"}`;
  showMedia(img, url);
  return img;
}

// The maps of the model named `model`; an answer for a model chosen before it is dropped.
export async function showMaps(model) {
  const signal = request.start();
  try {
    const answer = await api(`/v1/global/attributions?model=${encodeURIComponent(model)}`, { signal });
    if (signal.aborted) return;
    maps = answer;
    const genres = Object.entries(maps.genres).map(([genre, entry]) => [genre, `${genre} (${entry.clips} clips)`]);
    fillSelect($("maps-genre"), genres);
    $("maps-intro").textContent = `${maps.method.toUpperCase()} explanations of ${maps.data}, each carried onto ` +
      "one grid (tenths of the clip × mel bands, and harmonic / percussive): a cell is the mean share of a clip's " +
      "evidence for the genre the model heard, red for it, blue against it.";
    $("maps-gallery").replaceChildren(...Object.entries(maps.links).map(galleryImage));
    $("maps-reader").hidden = $("maps-one").hidden = false;
    showMap();
  } catch (problem) {
    if (signal.aborted) return;
    maps = null;
    $("maps-reader").hidden = $("maps-one").hidden = true;
    $("maps-gallery").replaceChildren();
    $("maps-intro").textContent = problem.detail || "No per-genre maps for this model.";
  }
}
