// Talking to the /v1 API: key, busy retries, problems as errors, media, job following, superseded requests.
import { $ } from "./dom.js";

const KEY_STORAGE = "musicxai-key";  // kept for this tab only: closing it forgets the key
const BUSY_RETRIES = 10;  // a 503 or 429 with Retry-After: a bound is reached, the request can succeed later
let key = sessionStorage.getItem(KEY_STORAGE);
let keyPrompt = null;  // the one question for a key that every request meeting a 401 waits on

// One view's latest request. start() aborts the one before and hands out the new one's signal: a request
// whose signal is aborted has been superseded, and its answer must be dropped, never shown.
export class Latest {
  #controller = null;

  start() {
    this.stop();
    this.#controller = new AbortController();
    return this.#controller.signal;
  }

  stop() {
    this.#controller?.abort();
    this.#controller = null;
  }
}

export function withKey(options = {}) {
  if (!key) return options;
  return { ...options, headers: { ...(options.headers || {}), authorization: `Bearer ${key}` } };
}

// A 401: this service needs an API key (or another one). Ask once, however many requests met it.
function askForKey(problem) {
  keyPrompt ??= new Promise((resolve) => {
    const form = $("key-form");
    $("key-message").textContent = problem.detail || "";
    form.hidden = false;
    $("key-input").focus();
    form.onsubmit = (event) => {
      event.preventDefault();
      key = $("key-input").value.trim();
      sessionStorage.setItem(KEY_STORAGE, key);
      form.hidden = true;
      keyPrompt = null;
      resolve();
    };
  });
  return keyPrompt;
}

// Resolves after `ms`, or rejects as soon as `signal` is aborted.
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const stop = () => { clearTimeout(timer); reject(signal.reason); };
    const timer = setTimeout(() => { signal?.removeEventListener("abort", stop); resolve(); }, ms);
    signal?.addEventListener("abort", stop, { once: true });
  });
}

async function waitWhileBusy(seconds, problem, signal) {
  const box = $("busy");
  box.hidden = false;
  try {
    for (let left = seconds; left > 0; left -= 1) {
      box.textContent = `${problem.title || "Busy"}: ${problem.detail || "the service is busy"} Retrying in ${left} s…`;
      await sleep(1000, signal);
    }
  } finally {
    box.hidden = true;
  }
}

// What a failed answer says: the service's problem JSON as it is, or a problem made of its status and text.
function problemOf(response, body) {
  return typeof body === "object" && body !== null ? body : { title: `Error ${response.status}`, detail: body };
}

// A request to the API; its JSON (or text) answer, or a thrown problem ({title, detail}). An aborted
// request (options.signal) rethrows the abort, which its caller drops as superseded.
export async function api(path, options = {}) {
  let response;
  for (let attempt = 0; ; attempt += 1) {
    try {
      response = await fetch(path, withKey(options));
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw { title: "The service could not be reached", detail: String(err) };
    }
    if (response.status === 401) {
      await askForKey(await response.json().catch(() => ({})));
      continue;
    }
    const retryAfter = Number(response.headers.get("retry-after"));
    const later = response.status === 503 || response.status === 429;
    if (!later || !(retryAfter > 0) || attempt >= BUSY_RETRIES) break;
    await waitWhileBusy(Math.ceil(retryAfter), await response.json().catch(() => ({})), options.signal);
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw problemOf(response, body);
  return body;
}

// Follow a job's links.self until it is no longer queued or running, and return it as it ended.
// onProgress sees each unfinished state; aborting `signal` stops the following (the promise rejects).
export async function followJob(job, { onProgress = () => {}, signal, every = 500 } = {}) {
  while (job.status === "queued" || job.status === "running") {
    onProgress(job);
    await sleep(every, signal);
    job = await api(job.links.self, { signal });
  }
  return job;
}

// Images and audio come from the API too: with a key they are fetched with it and shown from memory.
// Per element, the latest call wins: an older, slower fetch never replaces what a newer one showed.
const shown = new WeakMap();

export async function showMedia(element, url) {
  const mine = {};
  shown.set(element, mine);
  if (!key) { element.src = url; return; }
  const response = await fetch(url, withKey()).catch(() => null);
  if (!response || !response.ok) return;  // the element stays empty, its alt text says what it was
  const blob = await response.blob().catch(() => null);
  if (!blob || shown.get(element) !== mine) return;
  if (element.dataset.objectUrl) URL.revokeObjectURL(element.dataset.objectUrl);
  element.dataset.objectUrl = URL.createObjectURL(blob);
  element.src = element.dataset.objectUrl;
}
