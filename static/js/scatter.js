// @ts-check
/// <reference lib="dom" />
/**
 * CPU-versus-memory scatter on one canvas: normal points first, anomalous points in red on top.
 */
import { cssVar } from "./dom.js";

/**
 * Where the plot sits in a canvas of CSS size w × h, and how values map to it.
 * @param {number} w
 * @param {number} hgt
 */
function geometry(w, hgt) {
  const left = 48;
  const bottom = 36;
  const top = 10;
  const right = 12;
  const pw = w - left - right;
  const ph = hgt - top - bottom;
  const x = (/** @type {number} */ v) => left + (Math.min(100, Math.max(0, v)) / 100) * pw;
  const y = (/** @type {number} */ v) => top + ph - (Math.min(100, Math.max(0, v)) / 100) * ph;
  return { left, top, pw, ph, x, y };
}

/**
 * Index of the point nearest to (px, py), in CSS pixels of the canvas, within `radius`;
 * anomalous points win ties. -1 when none is close.
 * @param {HTMLCanvasElement} canvas
 * @param {{ cpu: number[], mem: number[], anomalous: (0 | 1)[] }} data
 * @param {number} px
 * @param {number} py
 * @param {number} [radius]
 */
export function nearestPoint(canvas, data, px, py, radius = 8) {
  const { x, y } = geometry(canvas.clientWidth, canvas.clientHeight);
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < data.cpu.length; i++) {
    const dx = x(data.cpu[i]) - px;
    const dy = y(data.mem[i]) - py;
    const d = dx * dx + dy * dy - (data.anomalous[i] ? 4 : 0);
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/**
 * Draws the points (both axes 0..100 %).
 * @param {HTMLCanvasElement} canvas
 * @param {{ cpu: number[], mem: number[], anomalous: (0 | 1)[] }} data
 */
export function drawScatter(canvas, data) {
  const dpr = devicePixelRatio || 1;
  const w = canvas.clientWidth || 600;
  const hgt = canvas.clientHeight || 360;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  const fg = cssVar("--muted") || "#666";
  const grid = cssVar("--grid") || "rgba(128,128,128,.2)";
  const normal = cssVar("--scatter-normal") || "rgba(59,130,246,.45)";
  const bad = cssVar("--danger") || "#dc2626";
  const font = getComputedStyle(canvas).fontFamily || "system-ui";
  const { left, top, pw, ph, x, y } = geometry(w, hgt);

  ctx.font = `12px ${font}`;
  ctx.fillStyle = fg;
  ctx.strokeStyle = grid;
  ctx.lineWidth = 1;
  for (let v = 0; v <= 100; v += 20) {
    ctx.beginPath();
    ctx.moveTo(x(v), top);
    ctx.lineTo(x(v), top + ph);
    ctx.moveTo(left, y(v));
    ctx.lineTo(left + pw, y(v));
    ctx.stroke();
    ctx.textAlign = "center";
    ctx.fillText(`${v}`, x(v), top + ph + 16);
    ctx.textAlign = "right";
    ctx.fillText(`${v}`, left - 6, y(v) + 4);
  }
  ctx.textAlign = "center";
  ctx.fillText("CPU %", left + pw / 2, hgt - 4);
  ctx.save();
  ctx.translate(12, top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("Memory %", 0, 0);
  ctx.restore();

  const n = data.cpu.length;
  ctx.fillStyle = normal;
  for (let i = 0; i < n; i++) {
    if (data.anomalous[i]) continue;
    ctx.fillRect(x(data.cpu[i]) - 1.5, y(data.mem[i]) - 1.5, 3, 3);
  }
  ctx.fillStyle = bad;
  for (let i = 0; i < n; i++) {
    if (!data.anomalous[i]) continue;
    ctx.beginPath();
    ctx.arc(x(data.cpu[i]), y(data.mem[i]), 3.5, 0, Math.PI * 2);
    ctx.fill();
  }
}
