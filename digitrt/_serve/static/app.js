// digitrt's drawing page: pointer events draw on a grey canvas with a black round pen; the
// drawing is sent as a PNG to /predict (digit mode) or /read (number mode), throttled while
// drawing and once more on release.
"use strict";
const pad = document.getElementById("pad");
const boxes = document.getElementById("boxes");
const ctx = pad.getContext("2d");
const pen = document.getElementById("pen");
const answer = document.getElementById("answer");
const confidence = document.getElementById("confidence");
const note = document.getElementById("note");
const bars = document.getElementById("bars");
const seen = document.getElementById("seen");
const THROTTLE_MS = 150;
let strokes = [];        // each: {width, points: [[x, y], ...]} in canvas pixels
let current = null;
let mode = "digit";
let timer = null, busy = false, again = false, generation = 0;

for (let d = 0; d < 10; d++) {
  bars.insertAdjacentHTML("beforeend",
    `<span>${d}</span><div class="bar"><span id="bar${d}" style="width:0"></span></div><span id="p${d}"></span>`);
}

function redraw() {
  ctx.fillStyle = "#c8c8c8";
  ctx.fillRect(0, 0, pad.width, pad.height);
  ctx.strokeStyle = "#000"; ctx.fillStyle = "#000";
  ctx.lineCap = "round"; ctx.lineJoin = "round";
  for (const s of strokes) {
    ctx.lineWidth = s.width;
    ctx.beginPath();
    ctx.moveTo(s.points[0][0], s.points[0][1]);
    if (s.points.length === 1) ctx.lineTo(s.points[0][0] + 0.1, s.points[0][1]);
    for (const [x, y] of s.points.slice(1)) ctx.lineTo(x, y);
    ctx.stroke();
  }
}

function position(event) {
  const r = pad.getBoundingClientRect();
  return [(event.clientX - r.left) * pad.width / r.width, (event.clientY - r.top) * pad.height / r.height];
}

pad.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  current = {width: Number(pen.value) * pad.width / 280 * (mode === "number" ? 0.75 : 1), points: [position(e)]};
  strokes.push(current);
  redraw();
  schedule();
});
pad.addEventListener("pointermove", (e) => {
  if (!current) return;
  e.preventDefault();
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const c of events.length ? events : [e]) current.points.push(position(c));
  redraw();
  schedule();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, (e) => {
    if (!current) return;
    current = null;
    clearTimeout(timer); timer = null;
    send();  // once more on release
  });
}
// No scrolling or zooming while drawing on a touch screen.
for (const type of ["touchstart", "touchmove"]) pad.addEventListener(type, (e) => e.preventDefault(), {passive: false});

function schedule() {
  if (timer === null) timer = setTimeout(() => { timer = null; send(); }, THROTTLE_MS);
}

async function send() {
  if (busy) { again = true; return; }
  busy = true;
  const asked = generation;
  try {
    if (!strokes.length) { show(null); return; }
    const blob = await new Promise((resolve) => pad.toBlob(resolve, "image/png"));
    const response = await fetch(mode === "digit" ? "/predict?image=1" : "/read",
                                 {method: "POST", headers: {"Content-Type": "image/png"}, body: blob});
    const data = await response.json();
    if (asked !== generation) return;  // cleared or switched meanwhile
    if (!response.ok) { showError(data.error || response.statusText); return; }
    mode === "digit" ? show(data) : showNumber(data);
  } catch (err) {
    showError(String(err));
  } finally {
    busy = false;
    if (again) { again = false; send(); }
  }
}

function setBars(probabilities) {
  for (let d = 0; d < 10; d++) {
    const p = probabilities ? probabilities[d] : 0;
    document.getElementById(`bar${d}`).style.width = `${(100 * p).toFixed(1)}%`;
    document.getElementById(`p${d}`).textContent = probabilities ? `${(100 * p).toFixed(1)}%` : "";
  }
}

function setSeen(image) {
  const g = seen.getContext("2d");
  const data = g.createImageData(28, 28);
  for (let i = 0; i < 28 * 28; i++) {
    const v = image ? image[Math.floor(i / 28)][i % 28] : 0;
    data.data.set([v, v, v, 255], 4 * i);
  }
  g.putImageData(data, 0, 0);
}

function show(p) {
  answer.classList.remove("reject");
  boxes.getContext("2d").clearRect(0, 0, boxes.width, boxes.height);
  if (!p || p.status === "blank") {
    answer.textContent = "?"; confidence.textContent = "";
    note.textContent = mode === "digit" ? "Draw a digit." : "Write a number.";
    setBars(null); setSeen(null); return;
  }
  setBars(p.probabilities); setSeen(p.image);
  if (p.status === "not_a_digit") {
    answer.textContent = "not a digit"; answer.classList.add("reject");
    confidence.textContent = `score ${(100 * p.not_a_digit_score).toFixed(0)}%`;
    note.textContent = `If it were a digit: ${p.best_guess}`;
    return;
  }
  answer.textContent = String(p.digit);
  confidence.textContent = `${(100 * p.confidence).toFixed(1)}% sure`;
  note.textContent = p.unsure && p.top && p.top.length > 1
    ? `Unsure: maybe ${p.top[1].digit} (${(100 * p.top[1].probability).toFixed(0)}%)` : "";
}

function showNumber(r) {
  answer.classList.remove("reject");
  setBars(null); setSeen(null);
  answer.textContent = r.text || "?";
  confidence.textContent = r.text ? `${(100 * r.confidence).toFixed(1)}% sure` : "";
  note.textContent = r.text ? `${r.digits.length} mark(s) found` : "Write a number.";
  const g = boxes.getContext("2d");
  g.clearRect(0, 0, boxes.width, boxes.height);
  g.lineWidth = 2; g.font = "16px system-ui";
  for (const d of r.digits) {
    const [x, y, w, h] = d.box;
    g.strokeStyle = d.status === "digit" ? "#3a6fd8" : "#a33";
    g.strokeRect(x, y, w, h);
    g.fillStyle = g.strokeStyle;
    g.fillText(d.status === "digit" ? String(d.digit) : "×", x + 3, y + 16);
  }
}

function showError(message) {
  answer.textContent = "!"; confidence.textContent = ""; note.textContent = message;
}

function reset() {
  generation++; strokes = []; current = null; redraw(); show(null);
}

function setMode(next) {
  mode = next;
  document.getElementById("mode-digit").classList.toggle("on", mode === "digit");
  document.getElementById("mode-number").classList.toggle("on", mode === "number");
  document.getElementById("stage").classList.toggle("number", mode === "number");
  const [w, h] = mode === "digit" ? [280, 280] : [640, 240];
  pad.width = boxes.width = w; pad.height = boxes.height = h;
  reset();
}

document.getElementById("clear").addEventListener("click", reset);
document.getElementById("undo").addEventListener("click", () => {
  generation++; strokes.pop(); redraw(); send();
});
document.getElementById("mode-digit").addEventListener("click", () => setMode("digit"));
document.getElementById("mode-number").addEventListener("click", () => setMode("number"));
fetch("/health").then((r) => r.json()).then((h) => {
  document.getElementById("model").textContent = `model ${h.model} · digitrt ${h.version}`;
});
redraw(); show(null);
