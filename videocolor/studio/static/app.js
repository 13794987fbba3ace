// The studio's page: it shows what the server reports and sends the colourist's actions; all the
// work (checking, colouring, rendering) happens on the server.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const $ = (id) => document.getElementById(id);
let reel = null;

function withToken(path) {
  if (!token) return path;
  return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
}

async function api(path, options = {}) {
  const response = await fetch(withToken(path), options);
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.blob();
  if (!response.ok && response.status !== 409) {
    throw new Error(body.error || `${response.status} ${response.statusText}`);
  }
  return body;
}

function postJson(path, payload) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
}

function say(text) { $("message").textContent = text; }

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// ------------------------------------------------------------------------------- shots

async function loadReel() {
  reel = await api("/api/reel");
  $("reel-name").textContent = "— " + reel.reel;
  $("reel-info").textContent = `${reel.width}×${reel.height}, ${reel.frame_count} frames at ` +
    `${reel.frame_rate} fps, ${reel.shots.length} shots; references in ${reel.refs}`;
  $("shots").replaceChildren(...reel.shots.map(shotCard));
}

function transitionText(transition, side) {
  if (!transition) return side === "in" ? "starts the reel" : "ends the reel";
  return `${transition.kind} ${side === "in" ? "in" : "out"}`;
}

function paintedItem(painted) {
  const item = el("li", { class: "painted", "data-frame": painted.frame },
    el("span", { class: `badge ${painted.status}` }, painted.status), ` frame ${painted.frame} `,
    el("span", { class: "meta" }, painted.used ? `(${painted.origin})` : "(not used)"));
  item.append(" ", el("a", { href: withToken(`/api/refs/${painted.frame}/image`), target: "_blank" }, "view"));
  for (const finding of painted.findings) {
    item.append(el("span", { class: "finding" }, `${finding.level}: ${finding.message}`));
  }
  return item;
}

function suggestedItem(suggested) {
  return el("li", { class: "suggested", "data-frame": suggested.frame },
    `frame ${suggested.frame} `,
    el("a", { href: withToken(`/api/frames/${suggested.frame}.png`), download: "" }, "download"), " ",
    el("button", { class: "colour-here", onclick: () => openEditor(suggested.frame) }, "colour with hints"),
    el("span", { class: "reason" }, " " + suggested.reason));
}

function shotCard(shot) {
  const upload = el("input", { type: "file", accept: "image/*", class: "upload" });
  const frame = el("input", { type: "number", class: "upload-frame", min: shot.start, max: shot.end,
    value: shot.suggested.length ? shot.suggested[0].frame : shot.start, style: "width:6em" });
  upload.addEventListener("change", () => upload.files[0] && sendPainted(upload.files[0], frame.value));
  const card = el("div", { class: "shot", id: `shot-${shot.shot}`, "data-shot": shot.shot },
    el("img", { src: withToken(shot.thumbnail), alt: `shot ${shot.shot}` }),
    el("h3", {}, `Shot ${shot.shot}`),
    el("div", { class: "meta" }, `frames ${shot.start}–${shot.end} · ${shot.duration_s.toFixed(2)} s · ` +
      `${shot.start_timecode} · ${transitionText(shot.transition_before, "in")}, ` +
      transitionText(shot.transition_after, "out")),
    el("div", {}, "Painted:"), el("ul", { class: "painted-list" }, ...shot.painted.map(paintedItem)),
    el("div", {}, "Suggested:"), el("ul", { class: "suggested-list" }, ...shot.suggested.map(suggestedItem)),
    el("div", {}, "Drop a painted image here, or ", upload, " for frame ", frame),
    el("p", {}, el("button", { class: "preview-shot", onclick: () => startPreview(shot.shot) }, "Preview shot")));
  card.addEventListener("dragover", (event) => { event.preventDefault(); card.classList.add("drop"); });
  card.addEventListener("dragleave", () => card.classList.remove("drop"));
  card.addEventListener("drop", (event) => {
    event.preventDefault();
    card.classList.remove("drop");
    const file = event.dataTransfer.files[0];
    if (file) sendPainted(file, null);  // the frame comes from the file's name
  });
  return card;
}

async function sendPainted(file, frame) {
  const form = new FormData();
  form.append("file", file);
  if (frame !== null && frame !== "") form.append("frame", frame);
  say(`checking ${file.name}…`);
  try {
    const painted = await api("/api/refs", { method: "POST", body: form });
    const notes = painted.findings.map((f) => f.message).join("; ");
    say(painted.used ? `frame ${painted.frame}: ${painted.status}${notes ? " — " + notes : ""}`
      : `frame ${painted.frame} not used: ${notes}`);
    await loadReel();
  } catch (error) { say(`${file.name}: ${error.message}`); }
}

// ------------------------------------------------------------------------------- point hints

const editor = { frame: null, hints: [], sent: 0, shown: 0 };

function openEditor(frame) {
  editor.frame = frame;
  editor.hints = [];
  const shot = reel.shots.find((s) => s.start <= frame && frame <= s.end);
  $("editor-frame").textContent = frame;
  $("editor-shot").textContent = `shot ${shot.shot}`;
  $("hint-download").href = withToken(`/api/frames/${frame}.png`);
  $("editor").hidden = false;
  recolour();
  $("editor").scrollIntoView();
}

function drawHints() {
  $("hint-marks").replaceChildren(...editor.hints.map((h) =>
    el("div", { class: "mark", style: `left:${h.x * 100}%;top:${h.y * 100}%;background:transparent` })));
  $("hint-list").replaceChildren(...editor.hints.map((h) =>
    el("li", {}, el("span", { class: "badge", style: `background:${h.color}` }, "  "),
      ` at ${(h.x * 100).toFixed(0)}%, ${(h.y * 100).toFixed(0)}%`)));
}

async function recolour() {
  drawHints();
  const number = ++editor.sent;
  const started = performance.now();
  $("hint-status").textContent = "colouring…";
  try {
    const blob = await postJson(`/api/hints/${editor.frame}`, { hints: editor.hints });
    if (number < editor.shown) return;  // an older answer arriving after a newer one
    editor.shown = number;
    const image = $("hint-image");
    const old = image.src;
    image.src = URL.createObjectURL(blob);
    if (old.startsWith("blob:")) URL.revokeObjectURL(old);
    const ms = Math.round(performance.now() - started);
    $("hint-status").textContent = `${editor.hints.length} hints · recoloured in ${ms} ms`;
    image.dataset.hints = String(editor.hints.length);
  } catch (error) { $("hint-status").textContent = error.message; }
}

function addHint(event) {
  const image = event.currentTarget;
  const x = Math.min(1, Math.max(0, event.offsetX / image.clientWidth));
  const y = Math.min(1, Math.max(0, event.offsetY / image.clientHeight));
  editor.hints.push({ x, y, color: $("hint-colour").value });
  recolour();
}

async function saveHinted() {
  if (!editor.hints.length) { say("click the picture to put a colour on it first"); return; }
  try {
    const painted = await postJson(`/api/hints/${editor.frame}/save`, { hints: editor.hints });
    say(`frame ${painted.frame} saved as a painted reference: ${painted.status}`);
    await loadReel();
  } catch (error) { say(error.message); }
}

// ------------------------------------------------------------------------------- previews

const preview = { shot: null, data: null, timer: null };

async function startPreview(shot) {
  preview.shot = shot;
  $("preview-scrub").value = "0";
  $("preview-shot").textContent = shot;
  $("preview").hidden = false;
  $("preview-status").textContent = "colouring the shot…";
  try {
    showPreview(await api(`/api/previews/${shot}`, { method: "POST" }));
  } catch (error) { $("preview-status").textContent = error.message; }
  $("preview").scrollIntoView();
}

function showPreview(data) {
  preview.data = data;
  const scrub = $("preview-scrub");
  const frames = data.frames;
  scrub.max = Math.max(0, frames.length - 1);
  if (Number(scrub.value) > Number(scrub.max)) scrub.value = scrub.max;
  const source = data.automatic ? "the network's automatic keyframe" : `keyframes ${data.keyframes.join(", ")}`;
  let status = `${frames.length} of ${data.total} frames from ${source}`;
  if (data.first_frame_s !== null) status += ` · first frame after ${data.first_frame_s.toFixed(2)} s`;
  if (data.state === "failed") status += ` · failed: ${data.error}`;
  $("preview-status").textContent = status;
  $("preview").dataset.state = data.state;
  showFrame();
  const next = data.paint_next;
  $("paint-next").replaceChildren(...(next ? ["Paint here next: ",
    el("b", {}, `frame ${next.frame}`), ` — ${next.reason} `,
    el("button", { id: "paint-next-button", onclick: () => openEditor(next.frame) }, "colour with hints")] : []));
  clearTimeout(preview.timer);
  if (data.state === "queued" || data.state === "running") {
    preview.timer = setTimeout(async () => {
      try { showPreview(await api(`/api/previews/${data.shot}`)); }
      catch (error) { $("preview-status").textContent = error.message; }
    }, 300);
  }
}

function showFrame() {
  const frames = preview.data ? preview.data.frames : [];
  const frame = frames[Number($("preview-scrub").value)];
  if (!frame) return;
  $("preview-before").src = withToken(frame.before);
  $("preview-after").src = withToken(frame.after);
  $("preview-unsure").src = withToken(frame.unsure);
  $("preview-unsure").hidden = !$("preview-overlay").checked;
  $("preview-frame").textContent = `frame ${frame.frame} · confidence ${frame.confidence.toFixed(2)}`;
}

// ------------------------------------------------------------------------------- renders

let renderTimer = null;

function showRender(job) {
  const running = job.state === "running";
  $("render-start").disabled = running;
  $("render-stop").disabled = !running;
  $("render").dataset.state = job.state;
  const bar = $("render-progress");
  if (job.state === "idle") { $("render-status").textContent = "no render yet"; return; }
  bar.max = job.total || 1;
  bar.value = job.state === "done" ? bar.max : job.done;
  let text = `${job.command} #${job.number}: ${job.state}`;
  if (job.task) text += ` · ${job.task} ${job.done}/${job.total ?? "?"}`;
  if (running && job.eta_s !== null) text += ` · ETA ${Math.ceil(job.eta_s)} s`;
  if (job.state === "done") text += ` · ${job.output}`;
  if (job.state === "stopped") text += " · start again to resume";
  $("render-status").textContent = text;
  $("render-log").textContent = job.log.join("\n");
  clearTimeout(renderTimer);
  if (running) renderTimer = setTimeout(pollRender, 500);
}

async function pollRender() {
  try { showRender(await api("/api/renders")); } catch (error) { say(error.message); }
}

async function startRender() {
  try {
    const job = await postJson("/api/renders", {
      command: $("render-command").value,
      cluster: $("render-cluster").value.trim() || null,
    });
    showRender(job);
  } catch (error) { say(error.message); }
}

// ------------------------------------------------------------------------------- start

window.addEventListener("DOMContentLoaded", async () => {
  $("hint-image").addEventListener("click", addHint);
  $("hint-undo").addEventListener("click", () => { editor.hints.pop(); recolour(); });
  $("hint-clear").addEventListener("click", () => { editor.hints = []; recolour(); });
  $("hint-save").addEventListener("click", saveHinted);
  $("preview-scrub").addEventListener("input", showFrame);
  $("preview-overlay").addEventListener("change", showFrame);
  $("render-start").addEventListener("click", startRender);
  $("render-stop").addEventListener("click", async () => {
    try { showRender(await api("/api/renders/stop", { method: "POST" })); } catch (error) { say(error.message); }
  });
  try {
    await loadReel();
    await pollRender();  // a reload shows the render under way instead of offering a second
  } catch (error) { say(error.message); }
});
