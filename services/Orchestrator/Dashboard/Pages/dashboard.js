// The dashboard: reads the status API, follows /events, and acts, all with the session cookie the login page got
// (HttpOnly: no script here ever holds a token).
"use strict";

const page = document.getElementById("page");
const live = { handlers: new Set() };
let stages = [];
let states = [];

// ---------------------------------------------------------------- helpers ---
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const svgNs = "http://www.w3.org/2000/svg";
function svg(tag, attributes) {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  return node;
}

async function get(path) {
  const response = await fetch(path);
  if (response.status === 401) toLogin();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await problemOf(response)}`);
  return response.json();
}

async function problemOf(response) {
  try { const problem = await response.json(); return problem.detail || problem.title || ""; } catch { return ""; }
}

// No session, or it expired: log in again, and come back to the page the user was on.
function toLogin() { location.assign(`/login${location.hash}`); }

// Actions are JSON POSTs from this origin: the API refuses any other body type and any other origin.
function post(path) { return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }); }

function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

function duration(fromIso, toIso) {
  const seconds = Math.max(0, (new Date(toIso) - new Date(fromIso)) / 1000);
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

function statePill(state) { return el("span", { class: `state ${state}` }, state); }

function fixed(value, digits = 3) { return value === null || value === undefined ? "" : Number(value).toFixed(digits); }

// Re-renders after a burst of events, not once per event.
function debounce(action, ms) {
  let timer = null;
  return () => { clearTimeout(timer); timer = setTimeout(action, ms); };
}

// ------------------------------------------------------------------- live ---
function connect() {
  const indicator = document.getElementById("live");
  const source = new EventSource("/events");
  source.addEventListener("subscribed", () => { indicator.className = "live on"; indicator.textContent = "live"; });
  for (const kind of ["state", "progress"]) {
    source.addEventListener(kind, message => {
      const event = JSON.parse(message.data);
      for (const handler of live.handlers) handler(event);
    });
  }
  source.onerror = () => { indicator.className = "live off"; indicator.textContent = "reconnecting"; };
}

// ------------------------------------------------------------- trainings ---
async function trainingsPage() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const project = el("input", { id: "filter-project", placeholder: "project", value: params.get("project") || "" });
  const state = el("select", { id: "filter-state" }, el("option", { value: "" }, "any state"),
    states.map(s => el("option", { value: s, selected: s === params.get("state") }, s)));
  const body = el("tbody");
  const table = el("table", { id: "trainings" },
    el("thead", {}, el("tr", {}, el("th", {}, "training"), el("th", {}, "project"), el("th", {}, "state"),
      el("th", { class: "num" }, "attempt"), el("th", {}, "updated"))), body);
  const filter = () => {
    const query = new URLSearchParams();
    if (project.value) query.set("project", project.value);
    if (state.value) query.set("state", state.value);
    history.replaceState(null, "", `#/?${query}`);
    load();
  };
  project.addEventListener("change", filter);
  state.addEventListener("change", filter);
  page.replaceChildren(el("h2", {}, "Trainings"), el("div", { class: "filters" }, project, state), table);

  async function load() {
    const query = new URLSearchParams({ take: "200" });
    if (project.value) query.set("project", project.value);
    if (state.value) query.set("state", state.value);
    const trainings = await get(`/trainings?${query}`);
    body.replaceChildren(...(trainings.length ? trainings.map(t => el("tr", { "data-id": t.id },
      el("td", {}, el("a", { href: `#/trainings/${t.id}` }, t.id.slice(0, 8))),
      el("td", {}, `${t.organization}/${t.project}`),
      el("td", {}, statePill(t.state)),
      el("td", { class: "num" }, t.attempt),
      el("td", { class: "updated" }, when(t.updated)))) : [el("tr", {}, el("td", { colspan: 5, class: "empty" }, "no trainings"))]));
  }

  const reload = debounce(load, 300);
  const handler = event => { if (event.kind === "state") reload(); };
  await load();
  return handler;
}

// --------------------------------------------------------------- training ---
async function trainingPage(id) {
  let training = await get(`/trainings/${id}`);
  let series = await get(`/trainings/${id}/series`);
  let samples = training.detection.exportKey ? await loadSamples(id) : null;
  // The action's answer is made once: live updates redraw the rest.
  const message = el("span", { id: "action-message" });
  const act = (verb, done = () => `${verb} sent`) => async () => {
    const response = await post(`/trainings/${id}/${verb}`);
    message.className = response.ok ? "" : "refused";
    message.textContent = response.ok ? done(await response.json()) : `${verb} refused: ${response.status} ${await problemOf(response)}`;
  };
  const stop = el("button", { id: "stop", title: "End training early: keep the best model so far and go on to upload and detection", onclick: act("stop") }, "Stop");
  const cancel = el("button", { id: "cancel", title: "Discard the training", onclick: act("cancel") }, "Cancel");
  const retry = el("button", { id: "retry", onclick: act("retry") }, "Retry failed stage");
  // Replay moves the failed command itself back from its stage's _error queue (same attempt); retry sends a new one.
  const replay = el("button", { id: "replay", title: "Move this training's failed command from the stage's _error queue back to its queue",
    onclick: act("replay", answer => `replay sent: ${answer.moved} message(s) moved back to ${answer.queue}`) }, "Replay failed stage");
  const heading = el("div");
  const content = el("div");
  page.replaceChildren(el("div", { id: "training", "data-id": id }, heading, el("div", { class: "actions" }, stop, cancel, retry, replay, message), content));
  render();

  function render() {
    const t = training;
    stop.disabled = t.state !== "TrainingRunning" || t.training.stopRequested;
    cancel.disabled = ["Completed", "Cancelled"].includes(t.state);
    retry.disabled = !(t.state === "Failed" && t.failedStage !== "Initialized");
    replay.hidden = retry.disabled;
    // replaceChildren writes a null as the text "null": the sections that may be absent are filtered out.
    heading.replaceChildren(
      el("h2", {}, `${t.organization}/${t.project} `, statePill(t.state)),
      el("div", { class: "legend" }, `training ${t.id}, begun ${when(t.createdAt)}`),
      stagePills(t));
    content.replaceChildren(...[
      errors(t),
      el("div", { class: "grid" },
        el("section", {}, el("h3", {}, "Loss and mAP@0.5"), progressLine(t), curve(series)),
        el("section", {}, el("h3", {}, "Per category (best evaluation)"), perCategory(t.training.bestMetrics),
          el("h3", {}, "Confusion matrix ", el("span", { class: "legend" }, "rows: true class, columns: predicted")),
          confusionMatrix(t.training.bestMetrics))),
      el("div", { class: "grid" },
        el("section", {}, el("h3", {}, "Stages"), stageTable(t)),
        el("section", {}, el("h3", {}, "Training"), about(t))),
      el("section", {}, el("h3", {}, "Test images ", el("span", { class: "legend" }, el("span", { class: "t" }, "┅ ground truth"), " ",
        el("span", { class: "f" }, "▭ detections"))), sampleImages(t, samples))].filter(Boolean));
  }

  const reload = debounce(async () => {
    training = await get(`/trainings/${id}`);
    series = await get(`/trainings/${id}/series`);
    if (!samples && training.detection.exportKey) samples = await loadSamples(id);
    render();
  }, 200);

  return event => {
    if (event.trainingId !== id) return;
    if (event.kind === "progress") {
      series = series.filter(p => p.iteration < event.iteration);
      series.push({ iteration: event.iteration, loss: event.loss, meanAveragePrecision: event.meanAveragePrecision, at: event.at });
      training.training.progress = { ...(training.training.progress || {}), iteration: event.iteration, totalIterations: event.totalIterations, loss: event.loss };
      render();
      // An evaluation may have improved the best metrics, which the per-category table and the confusion matrix show.
      if (event.meanAveragePrecision !== null && event.meanAveragePrecision !== undefined) reload();
    } else {
      reload();
    }
  };
}

function stagePills(t) {
  const reached = new Set(t.history.map(h => h.to));
  return el("ol", { class: "stages", id: "stages" }, stages.map(stage => {
    let status = "pending";
    if (t.failedStage === stage.running && t.state === "Failed") status = "failed";
    else if (t.state === stage.running) status = "running";
    else if (reached.has(stage.done)) status = "done";
    else if (stage.running === "TrainModelDownloading" && !t.training.baseModelId) status = "skipped";
    return el("li", { class: `stage ${status}`, "data-stage": stage.running, title: status }, stage.name);
  }));
}

function errors(t) {
  const entries = Object.entries(t.errors || {});
  if (!entries.length) return null;
  return el("div", { class: "panel", id: "errors" }, el("dl", {}, entries.map(([stage, error]) => [el("dt", {}, stage), el("dd", { class: "error" }, error)])));
}

function progressLine(t) {
  const p = t.training.progress;
  if (!p) return el("div", { class: "legend" }, "no progress reported yet");
  const best = t.training.bestMetrics;
  return el("div", { class: "legend" },
    `iteration ${p.iteration} of ${p.totalIterations}, loss ${fixed(p.loss, 4)}`,
    best ? ` · best mAP@0.5 ` : "", best ? el("b", { id: "best-map" }, fixed(best.meanAveragePrecision)) : null,
    " · ", el("span", { class: "l" }, "— loss"), " ", el("span", { class: "m" }, "● mAP"));
}

// Loss on the left axis (from 0 to its largest), mAP on the right (0 to 1), iterations along the bottom.
function curve(series) {
  const width = 560, height = 260, left = 44, right = 40, top = 12, bottom = 28;
  const chart = svg("svg", { id: "curve", viewBox: `0 0 ${width} ${height}`, "data-points": series.length });
  const maxIteration = Math.max(1, ...series.map(p => p.iteration));
  const losses = series.filter(p => p.loss !== null && p.loss !== undefined);
  const maxLoss = Math.max(1e-9, ...losses.map(p => p.loss));
  const x = i => left + (width - left - right) * i / maxIteration;
  const yLoss = l => top + (height - top - bottom) * (1 - l / maxLoss);
  const yMap = m => top + (height - top - bottom) * (1 - m);
  chart.append(svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width - right, y2: height - bottom }));
  chart.append(svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }));
  const label = (text, attrs) => { const t = svg("text", attrs); t.textContent = text; chart.append(t); };
  label(fixed(maxLoss, 3), { x: 2, y: top + 8 });
  label("0", { x: 30, y: height - bottom });
  label("1.0", { x: width - right + 6, y: top + 8 });
  label(`${maxIteration}`, { x: width - right - 20, y: height - 8 });
  label("iteration", { x: width / 2 - 20, y: height - 8 });
  if (!series.length) { label("no points yet", { x: width / 2 - 30, y: height / 2 }); return chart; }
  chart.append(svg("polyline", { class: "loss", points: losses.map(p => `${x(p.iteration)},${yLoss(p.loss)}`).join(" ") }));
  const maps = series.filter(p => p.meanAveragePrecision !== null && p.meanAveragePrecision !== undefined);
  if (maps.length > 1) chart.append(svg("polyline", { class: "map-line", points: maps.map(p => `${x(p.iteration)},${yMap(p.meanAveragePrecision)}`).join(" ") }));
  for (const p of maps) {
    const dot = svg("circle", { class: "map", cx: x(p.iteration), cy: yMap(p.meanAveragePrecision), r: 3.5 });
    const tip = svg("title", {}); tip.textContent = `iteration ${p.iteration}: mAP ${fixed(p.meanAveragePrecision)}`; dot.append(tip);
    chart.append(dot);
  }
  return chart;
}

const shade = (count, total, hue) => `background: hsla(${hue}, 65%, 45%, ${total ? (0.08 + 0.6 * count / total).toFixed(2) : 0})`;

// True positives shaded green, false positives and negatives red, each by its share of the category's objects.
function perCategory(metrics) {
  if (!metrics || !metrics.categories.length) return el("div", { class: "empty", id: "per-category" }, "no evaluation yet");
  return el("table", { id: "per-category" },
    el("thead", {}, el("tr", {}, el("th", {}, "category"), el("th", { class: "num" }, "true pos."), el("th", { class: "num" }, "false pos."),
      el("th", { class: "num" }, "false neg."), el("th", { class: "num" }, "AP@0.5"))),
    el("tbody", {}, metrics.categories.map(c => {
      const total = c.truePositives + c.falsePositives + c.falseNegatives;
      return el("tr", { "data-category": c.categoryId },
        el("td", {}, c.categoryName),
        el("td", { class: "num", style: shade(c.truePositives, total, 140) }, c.truePositives),
        el("td", { class: "num", style: shade(c.falsePositives, total, 5) }, c.falsePositives),
        el("td", { class: "num", style: shade(c.falseNegatives, total, 5) }, c.falseNegatives),
        el("td", { class: "num" }, fixed(c.averagePrecision)));
    })));
}

// True class by predicted class with background, at the evaluation's thresholds: the diagonal green, the rest red, by
// each cell's share of its row (the true class's objects, or background's false alarms).
function confusionMatrix(metrics) {
  const matrix = metrics && metrics.confusion;
  if (!matrix || !matrix.labels.length) return el("div", { class: "empty", id: "confusion-matrix" }, "no confusion matrix for this evaluation");
  const names = new Map(metrics.categories.map(c => [c.categoryId, c.categoryName]));
  const name = label => label === "background" ? "background" : (names.get(label) || label);
  return el("table", { id: "confusion-matrix", title: `IoU ${matrix.iouThreshold}, confidence ${matrix.confidenceThreshold}` },
    el("thead", {}, el("tr", {}, el("th", {}, "true \\ predicted"), ...matrix.labels.map(label => el("th", { class: "num" }, name(label))))),
    el("tbody", {}, matrix.counts.map((row, t) => {
      const total = row.reduce((sum, count) => sum + count, 0);
      return el("tr", { "data-label": matrix.labels[t] }, el("th", {}, name(matrix.labels[t])),
        ...row.map((count, p) => el("td", { class: "num", style: count ? shade(count, total, t === p ? 140 : 5) : "" }, count)));
    })));
}

function stageTable(t) {
  const now = new Date().toISOString();
  const rows = t.history.map((h, i) => el("tr", {},
    el("td", {}, h.to), el("td", { class: "num" }, h.attempt), el("td", { class: "time", title: when(h.at) }, new Date(h.at).toLocaleTimeString()),
    el("td", { class: "num" }, duration(h.at, i + 1 < t.history.length ? t.history[i + 1].at : (["Completed", "Cancelled", "Failed"].includes(h.to) ? h.at : now))),
    el("td", { class: h.error ? "error" : "note" }, h.error || h.note || "")));
  return el("table", { id: "history" },
    el("thead", {}, el("tr", {}, el("th", {}, "state"), el("th", { class: "num" }, "attempt"), el("th", {}, "at"), el("th", { class: "num" }, "for"), el("th", {}, "note"))),
    el("tbody", {}, rows));
}

// " (1 missing, 2 outside root)": the API's reason names as words, in the order the API lists them.
function skipReasons(byReason) {
  const reasons = Object.entries(byReason || {}).filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${reason.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()}`);
  return reasons.length ? ` (${reasons.join(", ")})` : "";
}

function about(t) {
  const hp = t.hyperparameters || {};
  const d = t.dataset;
  return el("div", { class: "panel" }, el("dl", { id: "about" },
    el("dt", {}, "dataset"), el("dd", {}, d.uri),
    el("dt", {}, "images"), el("dd", { id: "images" }, `${d.trainImageCount} train, ${d.testImageCount} test`
      + (d.heldOutImageCount ? ` (held out from train: the dataset has no test split)` : "")
      + (d.inboxImageCount ? `, ${d.inboxImageCount} of the train images from the project's inbox` : "")
      + `, ${d.skippedImageCount} skipped${skipReasons(d.skippedImagesByReason)}, ${d.detectionImageCount} to detect on`),
    el("dt", {}, "categories"), el("dd", {}, d.categories.map(c => c.name).join(", ")),
    el("dt", {}, "base model"), el("dd", {}, t.training.baseModelId || "none (from scratch)"),
    el("dt", {}, "hyperparameters"), el("dd", { id: "hyperparameters" }, Object.entries(hp).map(([k, v]) => `${k} ${v}`).join(", ")),
    el("dt", {}, "model"), el("dd", { id: "model" }, t.model.modelId ? `version ${t.model.version} (${t.model.modelId})` : "not registered yet"),
    el("dt", {}, "detections"), el("dd", { id: "detections" }, `${t.detection.detectionCount} in ${t.detection.batchesDetected} of ${t.detection.batchCount} batches`
      + (t.detection.exportKey ? `, exported to ${t.detection.exportKey}` : "")),
    el("dt", {}, "mAP@0.5"), el("dd", { id: "map-figures" }, mapFigures(t))));
}

// The evaluation's figure beside the one computed from the exported file, so a user knows which number their own
// evaluator should find in the export.
function mapFigures(t) {
  const best = t.training.bestMetrics;
  const evaluation = best ? `evaluation ${fixed(best.meanAveragePrecision)}` : "no evaluation yet";
  const exported = t.detection.exportedMeanAveragePrecision;
  if (exported !== null && exported !== undefined) {
    return [evaluation, " · of the export ", el("b", { id: "exported-map" }, fixed(exported)), ` (${t.detection.fullExportKey} against ${t.detection.groundTruthKey})`];
  }
  return [evaluation, t.detection.exportKey ? " · the export does not cover the evaluated images" : ""];
}

// The Uploader keeps a few evaluated images in the training's export with their ground truth and detections (the
// dataset itself is dropped at cleanup).
async function loadSamples(id) {
  const response = await fetch(`/trainings/${id}/samples`);
  if (!response.ok) return null;
  const samples = await response.json();
  await Promise.all(samples.images.map(async image => {
    const picture = await fetch(`/trainings/${id}/samples/${encodeURIComponent(image.file)}`);
    image.url = picture.ok ? URL.createObjectURL(await picture.blob()) : null;
  }));
  return samples;
}

function sampleImages(t, samples) {
  if (!samples) {
    return el("div", { class: "empty", id: "samples" },
      t.detection.exportKey ? "no sample images were kept for this training" : "test images appear here once the detections are uploaded");
  }
  if (!samples.images.length) return el("div", { class: "empty", id: "samples" }, "none of the evaluated images was detected on (detectOn)");
  const categories = new Map(samples.categories.map(c => [c.id, c]));
  const isPoint = id => String(categories.get(id)?.type).toLowerCase() === "point";
  return el("div", { id: "samples" }, samples.images.map(image => {
    const picture = svg("svg", { class: "sample", viewBox: `0 0 ${image.width} ${image.height}`, "data-image": image.imageId });
    if (image.url) picture.append(svg("image", { href: image.url, x: 0, y: 0, width: image.width, height: image.height }));
    const line = Math.max(1, Math.max(image.width, image.height) / 160);
    const mark = (kind, a) => isPoint(a.categoryId)
      ? svg("circle", { class: kind, cx: a.x, cy: a.y, r: 3 * line, "stroke-width": line })
      : svg("rect", { class: kind, x: a.x, y: a.y, width: a.width, height: a.height, "stroke-width": line });
    for (const a of image.groundTruth.filter(a => a.width > 0 || isPoint(a.categoryId))) picture.append(mark("truth", a));
    for (const d of [...image.detections.boxes, ...image.detections.points]) {
      const shape = mark("found", { width: 0, height: 0, ...d });
      const tip = svg("title", {}); tip.textContent = `${d.categoryName} ${fixed(d.confidence, 2)}`; shape.append(tip);
      picture.append(shape);
      const label = svg("text", { class: "found", x: d.x, y: Math.max(4 * line, d.y - line), "font-size": 5 * line });
      label.textContent = `${d.categoryName} ${fixed(d.confidence, 2)}`;
      picture.append(label);
    }
    const classes = image.detections.classifications.map(c => `${c.categoryName} ${fixed(c.confidence, 2)}`).join(", ");
    const found = image.detections.boxes.length + image.detections.points.length;
    return el("figure", { "data-image": image.imageId }, picture,
      el("figcaption", {}, `${image.imageId}: ${image.groundTruth.length} true, ${found} found${classes ? ` · ${classes}` : ""}`));
  }));
}

// ----------------------------------------------------------------- models ---
async function modelsPage() {
  const models = await get("/models");
  // Lineage from each model's training: its dataset, base model and hyperparameters.
  const trainings = new Map(await Promise.all([...new Set(models.map(m => m.trainingId))].map(async id => {
    try { return [id, await get(`/trainings/${id}`)]; } catch { return [id, null]; }
  })));
  const versions = new Map(models.map(m => [m.id, `${m.project} v${m.version}`]));
  page.replaceChildren(el("h2", {}, "Models"), el("table", { id: "models" },
    el("thead", {}, el("tr", {}, ["project", "version", "current", "promotion", "mAP@0.5", "iteration", "dataset", "base model", "hyperparameters", "training", "registered"].map(h => el("th", {}, h)))),
    el("tbody", {}, models.length ? models.map(m => {
      const t = trainings.get(m.trainingId);
      const base = t && t.training.baseModelId;
      return el("tr", { "data-model": m.id },
        el("td", {}, `${m.organization}/${m.project}`), el("td", { class: "num" }, m.version),
        el("td", { class: "current" }, m.isCurrent ? "current" : ""),
        el("td", { class: "promotion" }, m.promotion ? `${m.promotion.promoted ? "promoted" : "not promoted"}: ${m.promotion.reason}` : ""),
        el("td", { class: "num" }, fixed(m.metrics.meanAveragePrecision)), el("td", { class: "num" }, m.metrics.iteration),
        el("td", {}, t ? t.dataset.uri : ""), el("td", {}, base ? (versions.get(base) || base) : "none"),
        el("td", {}, t && t.hyperparameters ? Object.entries(t.hyperparameters).map(([k, v]) => `${k} ${v}`).join(", ") : ""),
        el("td", {}, el("a", { href: `#/trainings/${m.trainingId}` }, m.trainingId.slice(0, 8))),
        el("td", {}, when(m.createdAt)));
    }) : [el("tr", {}, el("td", { colspan: 11, class: "empty" }, "no models registered"))])));
  return null;
}

// ----------------------------------------------------------------- queues ---
async function queuesPage() {
  const body = el("tbody");
  page.replaceChildren(el("h2", {}, "Queues"), el("table", { id: "queues" },
    el("thead", {}, el("tr", {}, el("th", {}, "queue"), el("th", { class: "num" }, "ready"), el("th", { class: "num" }, "consumers"), el("th", { class: "num" }, "_error"))), body));
  // Each service's outbox: committed messages waiting for its relay, and the parked ones an operator must fix and put back.
  const outboxes = el("tbody");
  const message = el("span", { id: "outbox-message" });
  page.append(el("h2", {}, "Outboxes"), el("table", { id: "outboxes" },
    el("thead", {}, el("tr", {}, el("th", {}, "service"), el("th", { class: "num" }, "waiting"), el("th", { class: "num" }, "parked"),
      el("th", {}, "parked message"), el("th", {}, "since"), el("th", {}, "reason"), el("th", {}, ""))), outboxes), message);
  const retry = messageId => async () => {
    const response = await post(`/queues/outbox/${messageId}/retry`);
    message.className = response.ok ? "" : "refused";
    message.textContent = response.ok ? `${messageId} put back for its relay` : `retry refused: ${response.status} ${await problemOf(response)}`;
    await load();
  };
  async function load() {
    const queues = await get("/queues");
    body.replaceChildren(...queues.map(q => el("tr", { "data-queue": q.queue },
      el("td", {}, q.queue), el("td", { class: "num" }, q.ready), el("td", { class: "num" }, q.consumers),
      el("td", { class: "num", style: q.failed ? "color: var(--bad); font-weight: 600" : null }, q.failed))));
    const services = await get("/queues/outbox");
    const service = s => s || "(before per-service outboxes)";
    outboxes.replaceChildren(...(services.length ? services.flatMap(s => [
      el("tr", { "data-outbox": s.service }, el("td", {}, service(s.service)), el("td", { class: "num" }, s.waiting),
        el("td", { class: "num", style: s.parkedCount ? "color: var(--bad); font-weight: 600" : null }, s.parkedCount),
        el("td", {}), el("td", {}), el("td", {}), el("td", {})),
      ...s.parked.map(p => el("tr", { "data-parked": p.messageId }, el("td", {}, service(s.service)), el("td", {}), el("td", {}),
        el("td", { title: p.messageId }, `${p.messageType.split(",")[0].split(".").pop()} ${p.destination ? "to " + p.destination : "published"}`),
        el("td", {}, when(p.parkedAt)), el("td", {}, p.reason),
        el("td", {}, el("button", { title: "Put it back for its relay once its cause is fixed", onclick: retry(p.messageId) }, "Retry"))))])
      : [el("tr", {}, el("td", { colspan: 7, class: "empty" }, "no outbox messages waiting"))]));
  }
  await load();
  const timer = setInterval(() => { if (document.getElementById("queues")) load(); else clearInterval(timer); }, 5000);
  return null;
}

// ----------------------------------------------------------------- router ---
async function route() {
  live.handlers.clear();
  const hash = location.hash.replace(/^#/, "").split("?")[0] || "/";
  const training = hash.match(/^\/trainings\/([0-9a-f-]{36})$/);
  try {
    const handler = training ? await trainingPage(training[1])
      : hash === "/models" ? await modelsPage()
      : hash === "/queues" ? await queuesPage()
      : await trainingsPage();
    if (handler) live.handlers.add(handler);
  } catch (error) {
    page.replaceChildren(el("h2", {}, "Not available"), el("p", { class: "error" }, error.message));
  }
}

(async () => {
  [stages, states] = await Promise.all([get("/stages"), get("/states")]);
  const session = await get("/session");
  document.getElementById("session").replaceChildren(`signed in as ${session.role.toLowerCase()} · `,
    el("a", { href: "#", id: "logout", onclick: async e => { e.preventDefault(); await post("/logout"); toLogin(); } }, "log out"));
  connect();
  window.addEventListener("hashchange", route);
  await route();
})();
