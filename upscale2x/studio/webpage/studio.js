// upscale2x studio: candidates to pick, picks to render at print size, finished prints to look at 100 %.
// Everything goes through the local API (upscale2x/studio/server.py); nothing is loaded from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
let series = null;
let picks = new Set();
let viewer = null;

async function api(path, options = {}) {
  const r = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function describe(c) {
  const mix = c.mix.length ? `\nmix: ${c.mix.map(([p, w]) => `${p.split("/").pop()} ${w}`).join(", ")}` : "";
  return `#${c.id}  ${c.source.split("/").pop()}\nseed ${c.seed}  shift ${c.shift}  rotate ${c.rotate}°  contrast ${c.contrast}${mix}`;
}

function drawGrid() {
  const source = $("filter-source").value;
  const seed = $("filter-seed").value.trim();
  const grid = $("grid");
  grid.replaceChildren();
  for (const c of series.candidates) {
    if (source && c.source !== source) continue;
    if (seed && !String(c.seed).includes(seed)) continue;
    const cell = document.createElement("div");
    cell.className = "cand" + (picks.has(c.id) ? " picked" : "") + (c.rendered ? "" : " missing");
    cell.dataset.id = c.id;
    cell.title = describe(c);
    const img = document.createElement("img");
    img.loading = "lazy";
    img.alt = `candidate ${c.id}`;
    if (c.rendered) img.src = "/files/" + c.file;
    const label = document.createElement("span");
    label.textContent = c.id;
    cell.append(img, label);
    cell.addEventListener("click", () => toggle(c.id));
    grid.append(cell);
  }
  $("pick-count").textContent = `${picks.size} picked`;
}

async function toggle(id) {
  const next = new Set(picks);
  next.has(id) ? next.delete(id) : next.add(id);
  const saved = await api("/api/picks", { method: "PUT", body: JSON.stringify({ picks: [...next] }) });
  picks = new Set(saved.picks);
  drawGrid();
}

function seconds(s) {
  if (s == null) return "";
  return s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s left` : `${Math.round(s)} s left`;
}

function mb(bytes) {
  return (bytes / 1e6).toFixed(1) + " MB";
}

let roundsDone = 0;

async function refreshPrints() {
  const { jobs, files } = await api("/api/prints");
  const rounds = jobs.filter((j) => j.kind === "candidates" && j.state === "done").length;
  if (rounds !== roundsDone) {
    roundsDone = rounds;
    await loadSeries(); // the new candidates join the grid
  }
  $("jobs").replaceChildren(
    ...jobs.map((j) => {
      if (j.kind === "candidates") {
        const li = document.createElement("li");
        li.className = "job more " + j.state;
        const bar = document.createElement("progress");
        bar.max = j.total || 1;
        bar.value = j.done;
        li.append("more candidates ", bar, ` ${j.state === "running" ? `${j.done}/${j.total} ${seconds(j.seconds_left)}` : j.state + (j.error ? `: ${j.error}` : "")}`);
        return li;
      }
      const li = document.createElement("li");
      li.className = "job " + j.state;
      li.dataset.id = j.id;
      const bar = document.createElement("progress");
      bar.max = j.total || 1;
      bar.value = j.state === "done" ? bar.max : j.done;
      const text = j.state === "running" ? `${j.done}/${j.total} cells ${seconds(j.seconds_left)}` : j.state + (j.error ? `: ${j.error}` : "");
      li.append(`#${j.id} ${j.size} ${j.dpi} dpi ${j.format} `, bar, ` ${text}`);
      return li;
    })
  );
  $("files").replaceChildren(
    ...files.map((f) => {
      const li = document.createElement("li");
      li.className = "print";
      li.dataset.name = f.name;
      const view = document.createElement("button");
      view.textContent = "view";
      view.addEventListener("click", () => show(f.name));
      li.append(`${f.name}: ${f.width}x${f.height} px, ${f.dpi} dpi, ${mb(f.bytes)} `, view);
      return li;
    })
  );
  const busy = jobs.some((j) => j.state === "queued" || j.state === "running");
  clearTimeout(timer);
  timer = setTimeout(refreshPrints, busy ? 300 : 2000);
}

function show(name) {
  $("viewer-box").hidden = false;
  $("viewer-title").textContent = name;
  const source = `/api/prints/${encodeURIComponent(name)}.dzi`;
  if (typeof OpenSeadragon === "undefined") {
    $("viewer").textContent = "The viewer's runtime is not built: run `python web/build.py`.";
    return;
  }
  if (viewer) viewer.open(source);
  else viewer = OpenSeadragon({ id: "viewer", prefixUrl: "/static/openseadragon/images/", tileSources: source, maxZoomPixelRatio: 4 });
}

async function render(event) {
  event.preventDefault();
  $("print-error").textContent = "";
  const button = $("render");
  button.disabled = true; // a second click cannot queue the same prints again (the server also ignores repeats)
  try {
    for (const id of [...picks].sort((a, b) => a - b)) {
      await api("/api/prints", {
        method: "POST",
        body: JSON.stringify({ id, size: $("print-size").value, dpi: Number($("print-dpi").value), format: $("print-format").value }),
      });
    }
    refreshSoon();
  } catch (e) {
    $("print-error").textContent = e.message;
  } finally {
    button.disabled = false;
  }
}

async function loadSeries() {
  series = await api("/api/series");
  picks = new Set(series.picks);
  $("title").textContent = series.name;
  const short = (name) => name.split("/").pop();
  $("chain").textContent = `${short(series.model)} → ${short(series.upscaler)} × n · ${series.candidates.length} candidates`;
  const known = new Set([...$("filter-source").options].map((o) => o.value));
  for (const s of new Set(series.candidates.map((c) => c.source))) {
    if (known.has(s)) continue;
    const o = document.createElement("option");
    o.value = s;
    o.textContent = s.split("/").pop();
    $("filter-source").append(o);
  }
  drawGrid();
}

async function loadModels() {
  const models = await api("/api/models");
  const what = $("trial-what");
  for (const m of models) {
    const o = document.createElement("option");
    if (m.scale > 1) {
      o.value = "model=" + encodeURIComponent(m.name);
      o.textContent = `${m.name} (${m.scale}x)`;
    } else {
      o.value = "chain=" + encodeURIComponent(m.name);
      o.textContent = `${m.name} (${m.task})`;
    }
    what.append(o);
  }
}

async function trial(event) {
  event.preventDefault();
  $("trial-error").textContent = "";
  const file = $("trial-file").files[0];
  if (!file) {
    $("trial-error").textContent = "choose or drop an image first";
    return;
  }
  const scale = $("trial-scale").value;
  const query = $("trial-what").value + (scale ? `&scale=${scale}` : "");
  $("trial-go").disabled = true;
  try {
    const r = await fetch(`/api/render?${query}`, { method: "POST", body: file });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error);
    $("compare").hidden = false;
    $("after").src = body.after;
    $("before").src = body.before;
    await $("after").decode();
    $("before").style.height = $("after").clientHeight + "px";
    $("before").style.width = $("after").clientWidth + "px";
  } catch (e) {
    $("trial-error").textContent = e.message;
  } finally {
    $("trial-go").disabled = false;
  }
}

function setupTrial() {
  $("trial-form").addEventListener("submit", trial);
  $("slider").addEventListener("input", () => ($("before-clip").style.width = $("slider").value + "%"));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => (e.preventDefault(), drop.classList.add("over")));
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    $("trial-file").files = e.dataTransfer.files;
  });
}

async function main() {
  await loadSeries();
  await loadModels();
  setupTrial();
  $("print-size").value = series.print.size;
  $("print-dpi").value = series.print.dpi;
  $("print-format").value = series.print.format;
  $("more").addEventListener("click", () => api("/api/candidates/more", { method: "POST" }).then(refreshSoon));
  $("filter-source").addEventListener("change", drawGrid);
  $("filter-seed").addEventListener("input", drawGrid);
  $("print-form").addEventListener("submit", render);
  refreshPrints();
}

let timer = null;
function refreshSoon() {
  clearTimeout(timer);
  timer = setTimeout(refreshPrints, 50);
}

main().catch((e) => {
  document.body.prepend(Object.assign(document.createElement("p"), { className: "error", textContent: e.message }));
});
