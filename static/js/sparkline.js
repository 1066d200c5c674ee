// @ts-check
/// <reference lib="dom" />
/** Sparklines: one small canvas per visible row, redrawn only when its data changed. */

/** CSS size of a sparkline; must match `.spark` in style.css. */
export const SPARK_WIDTH = 120;
export const SPARK_HEIGHT = 28;

/**
 * Draws a 0..100 series over the last `windowMs` ending at `now`.
 * @param {HTMLCanvasElement} canvas
 * @param {number[]} t times in ms
 * @param {(number | null)[]} v values 0..100
 * @param {number} now
 * @param {number} windowMs
 * @param {{ line: string, fill: string }} colors
 */
export function drawSparkline(canvas, t, v, now, windowMs, colors) {
  const dpr = devicePixelRatio || 1;
  // The CSS size is fixed (style.css); reading clientWidth here would force a layout per row.
  const w = SPARK_WIDTH;
  const hgt = SPARK_HEIGHT;
  const pw = Math.round(w * dpr);
  const ph = Math.round(hgt * dpr);
  if (canvas.width !== pw || canvas.height !== ph) {
    canvas.width = pw;
    canvas.height = ph;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, pw, ph);
  const from = now - windowMs;
  const pad = dpr;
  const x = (/** @type {number} */ ms) => ((ms - from) / windowMs) * pw;
  const y = (/** @type {number} */ val) =>
    ph - pad - (Math.min(100, Math.max(0, val)) / 100) * (ph - 2 * pad);
  // One point per pixel column at most: keep the max of each column so spikes stay visible.
  let start = 0;
  while (start < t.length && t[start] < from) start++;
  ctx.beginPath();
  let open = false;
  let firstX = 0;
  let lastX = 0;
  let col = -1;
  let colMax = -1;
  const flush = () => {
    if (col < 0 || colMax < 0) return;
    if (!open) {
      ctx.moveTo(col, y(colMax));
      firstX = col;
      open = true;
    } else ctx.lineTo(col, y(colMax));
    lastX = col;
  };
  for (let i = start; i < t.length; i++) {
    const val = v[i];
    const c = Math.round(x(t[i]));
    if (c !== col) {
      flush();
      col = c;
      colMax = -1;
    }
    if (val !== null && val > colMax) colMax = val;
  }
  flush();
  if (!open) return;
  ctx.lineWidth = Math.max(1, dpr);
  ctx.strokeStyle = colors.line;
  ctx.stroke();
  ctx.lineTo(lastX, ph);
  ctx.lineTo(firstX, ph);
  ctx.closePath();
  ctx.fillStyle = colors.fill;
  ctx.fill();
}
