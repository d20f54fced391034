/**
 * The browser demo (`deno task demo`): pick a shipped model and a provider, draw a digit or drop
 * images, and see the top-3 classes with their probabilities, the provider and the latency. The
 * page's state is mirrored in `data-*` attributes (`#status[data-state]`, `#results[data-run]`,
 * `.result[data-label]`) for the browser test (tests/tools/demo_browser_test.ts).
 * @module
 */
import {
  type Classification,
  type Classifier,
  createWebClassifier,
  firstLine,
  webgpuAdapter,
  type WebImageSource,
} from "@noprop/infer/web";

/** One entry of the server's `/models/index.json`. */
interface ModelEntry {
  name: string;
  variant: string;
  T: number;
  classes: number;
  input: { channels: number; height: number; width: number };
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const modelSelect = $<HTMLSelectElement>("model");
const providerSelect = $<HTMLSelectElement>("provider");
const status = $<HTMLParagraphElement>("status");
const pad = $<HTMLCanvasElement>("pad");
const results = $<HTMLOListElement>("results");
const ctx = pad.getContext("2d", { willReadFrequently: true })!;

let clf: Classifier<WebImageSource> | undefined;
let loading: Promise<void> = Promise.resolve();

function setStatus(state: "loading" | "busy" | "ready" | "error", text: string) {
  status.dataset.state = state;
  status.textContent = text;
}

function clearPad() {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pad.width, pad.height);
}

async function loadModel() {
  const name = modelSelect.value, provider = providerSelect.value;
  setStatus("loading", `Loading ${name} on ${provider}…`);
  const old = clf;
  clf = undefined;
  await old?.close();
  const t0 = performance.now();
  try {
    clf = await createWebClassifier({ modelUrl: `/models/${name}/`, provider });
    const ms = performance.now() - t0;
    $("provider-note").textContent = clf.providerNote;
    setStatus(
      "ready",
      `${name} ready (${clf.manifest.classNames.length} classes, T = ${clf.manifest.T}; fetched, verified and loaded in ${
        ms.toFixed(0)
      } ms).`,
    );
  } catch (e) {
    setStatus("error", firstLine(e));
  }
}

function reload() {
  loading = loading.then(loadModel);
  const url = new URL(location.href);
  url.searchParams.set("model", modelSelect.value);
  url.searchParams.set("provider", providerSelect.value);
  history.replaceState(null, "", url);
}

function show(items: { name: string; thumb: string }[], out: Classification[]) {
  results.replaceChildren(...out.map((r, i) => {
    const li = document.createElement("li");
    li.className = "result";
    li.dataset.name = items[i].name;
    li.dataset.label = r.label;
    li.dataset.probability = String(r.probability);
    const img = document.createElement("img");
    img.src = items[i].thumb;
    img.alt = items[i].name;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = items[i].name;
    const top = document.createElement("span");
    for (const p of r.top.slice(0, 3)) {
      const line = document.createElement("div");
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = `${Math.max(1, p.probability * 120)}px`;
      line.append(bar, ` ${p.label} ${(100 * p.probability).toFixed(1)}%`);
      top.append(line);
    }
    li.append(img, name, top);
    return li;
  }));
  results.dataset.run = String(Number(results.dataset.run ?? 0) + 1);
}

async function classify(images: WebImageSource[], items: { name: string; thumb: string }[]) {
  await loading;
  if (!clf) return;
  setStatus("busy", `Classifying ${images.length} image(s)…`);
  const t0 = performance.now();
  try {
    const out = await clf.classify(images, { top: 3, labels: items.map((it) => it.name) });
    const ms = performance.now() - t0;
    $("latency").textContent = `${ms.toFixed(1)} ms for ${images.length} image(s), ${
      (ms / images.length).toFixed(1)
    } ms per image (decoding included)`;
    show(items, out);
    setStatus("ready", `Classified ${images.length} image(s).`);
  } catch (e) {
    setStatus("error", firstLine(e));
  }
}

function classifyFiles(files: FileList | File[]) {
  const list = [...files];
  if (list.length === 0) return;
  const items = list.map((f) => ({ name: f.name, thumb: URL.createObjectURL(f) }));
  void classify(list, items);
}

function classifyDrawing() {
  void classify([pad], [{ name: "drawing", thumb: pad.toDataURL() }]);
}

async function start() {
  clearPad();
  const q = new URL(location.href).searchParams;
  try {
    const res = await fetch("/models/index.json");
    const models: ModelEntry[] = await res.json();
    modelSelect.replaceChildren(...models.map((m) => {
      const o = document.createElement("option");
      o.value = m.name;
      const { channels, height, width } = m.input;
      o.textContent =
        `${m.name} (${m.variant}, T = ${m.T}, ${channels}×${height}×${width}, ${m.classes} classes)`;
      return o;
    }));
    if (models.length === 0) throw new Error("the server lists no models");
  } catch (e) {
    setStatus("error", `cannot list the models: ${firstLine(e)}`);
    return;
  }
  // The model of the URL (?model=…), else MNIST (the one to draw digits for), else the first.
  const names = [...modelSelect.options].map((o) => o.value);
  const wantedModel = q.get("model") ?? "mnist";
  if (names.includes(wantedModel)) modelSelect.value = wantedModel;
  const adapter = await webgpuAdapter();
  const gpuOption = providerSelect.querySelector<HTMLOptionElement>('option[value="webgpu"]')!;
  if (!adapter) {
    gpuOption.disabled = true;
    gpuOption.textContent = "webgpu (no adapter in this browser)";
  }
  const wanted = q.get("provider");
  providerSelect.value = wanted && [...providerSelect.options].some((o) => o.value === wanted)
    ? wanted
    : "auto";
  modelSelect.addEventListener("change", reload);
  providerSelect.addEventListener("change", reload);
  reload();
}

// Drawing: white strokes on black, classified when a stroke ends.
let drawing = false;
pad.addEventListener("pointerdown", (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 20;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(e.offsetX, e.offsetY);
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  ctx.lineTo(e.offsetX, e.offsetY);
  ctx.stroke();
});
pad.addEventListener("pointerup", () => {
  if (!drawing) return;
  drawing = false;
  classifyDrawing();
});
$("clear").addEventListener("click", () => clearPad());

// Dropping or choosing files.
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer) classifyFiles(e.dataTransfer.files);
});
$<HTMLInputElement>("files").addEventListener("change", (e) => {
  classifyFiles((e.target as HTMLInputElement).files ?? []);
});

void start();
