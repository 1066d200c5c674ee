// @ts-check
/// <reference lib="dom" />
/**
 * What a person can do to a machine (docs/api.md, "Removing a machine, and expected offline"):
 * mark it as expected to be offline (no offline alert) or lift the mark, and remove it from the
 * fleet with its data kept or deleted, after typing its name. The form's fields are not bound
 * to the state (the page re-renders this every second; a bound field could be reset between a
 * keystroke and its update): they report into it.
 */
import { fmtTime } from "../gen/catalogue.js";
import { requestJson } from "./api.js";
import { html, useState } from "./ui.js";

/** How long a mark lasts, as the API's `duration` (empty: until lifted). */
const MARK_DURATIONS = /** @type {const} */ ([
  ["", "until lifted"],
  ["8h", "for 8 hours"],
  ["24h", "for 24 hours"],
  ["7d", "for 7 days"],
]);

/**
 * @param {{ expectedOffline: { since: number, until: number | null, note?: string | null } }} props
 */
function MarkText({ expectedOffline: e }) {
  return html`
    <p class="admin-state"
      role="status">Expected offline since ${fmtTime(e.since)}${e.until
        ? `, until ${fmtTime(e.until)}`
        : ", until lifted"}${e.note ? ` (${e.note})` : ""}: no offline alert fires for it.</p>
  `;
}

/**
 * @param {{ id: string, name: string, online: boolean, expectedOffline: any,
 *   onRemoved: () => void, onMarked: (expectedOffline: any) => void }} props
 */
export function MachineAdmin({ id, name, online, expectedOffline, onRemoved, onMarked }) {
  const [duration, setDuration] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [removing, setRemoving] = useState(false);
  const [typed, setTyped] = useState("");
  const [data, setData] = useState(/** @type {"keep" | "delete" | ""} */ (""));
  const [force, setForce] = useState(false);
  const path = `/api/machines/${encodeURIComponent(id)}`;

  /** @param {() => Promise<unknown>} call */
  async function run(call) {
    setBusy(true);
    setError("");
    try {
      await call();
      return true;
    } catch (e) {
      setError(/** @type {Error} */ (e).message);
      return false;
    } finally {
      setBusy(false);
    }
  }

  const mark = () =>
    run(async () => {
      const r = await requestJson("PUT", `${path}/expected-offline`, duration ? { duration } : {});
      onMarked(r.expectedOffline);
    });
  const lift = () =>
    run(async () => {
      await requestJson("DELETE", `${path}/expected-offline`);
      onMarked(null);
    });
  const remove = async (/** @type {Event} */ e) => {
    e.preventDefault();
    const ok = await run(() =>
      requestJson("DELETE", path, { confirm: typed, data, ...(force ? { force: true } : {}) })
    );
    if (ok) onRemoved();
  };
  const confirmed = typed === name || typed === id;

  return html`<section class="card admin" aria-label="Manage this machine">
    <h2 class="card-title">Manage this machine</h2>
    ${
    expectedOffline
      ? html`
        <${MarkText} expectedOffline=${expectedOffline} />
        <button type="button" class="btn" disabled=${busy} onClick=${lift}>
                  Lift the expected-offline mark</button>
      `
      : html`<div class="admin-row">
        <button type="button" class="btn" disabled=${busy} onClick=${mark}>
          Mark as expected offline</button>
        <select class="input" aria-label="How long" value=${duration}
          onChange=${(/** @type {any} */ e) => setDuration(e.currentTarget.value)}>
          ${MARK_DURATIONS.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
        </select>
        <span class="muted small">for maintenance or a machine that is off on purpose: no
          offline alert.</span></div>`
  }
    ${
    removing
      ? html`<form class="remove-form" onSubmit=${remove}>
        <p>Removing <strong>${name}</strong> takes it off the fleet, /metrics and alerts. If its
          worker connects again, it comes back.</p>
        <fieldset class="admin-choice"><legend>Its stored data</legend>
          <label><input type="radio" name="data" value="keep"
            onChange=${() => setData("keep")} /> keep it (charts and history stay)</label>
          <label><input type="radio" name="data" value="delete"
            onChange=${() => setData("delete")} /> delete it, for good</label>
        </fieldset>
        ${
        online &&
        html`<label class="check"><input type="checkbox"
            onChange=${(/** @type {any} */ e) => setForce(e.currentTarget.checked)} />
            Its worker is connected: disconnect it</label>`
      }
        <label class="admin-confirm">Type its name, <code>${name}</code>, to confirm:
          <input class="input" aria-label="Machine name to confirm"
            onInput=${(/** @type {any} */ e) => setTyped(e.currentTarget.value)} /></label>
        <div class="admin-row">
          <button type="submit" class="btn btn-danger"
            disabled=${busy || !confirmed || !data || (online && !force)}>Remove ${name}</button>
          <button type="button" class="btn btn-quiet" onClick=${() => setRemoving(false)}>
            Cancel</button>
        </div>
      </form>`
      : html`<button type="button" class="btn btn-danger-quiet" onClick=${() =>
        setRemoving(true)}>Remove this machine…</button>`
  }
    ${error && html`<p class="admin-error" role="alert">${error}</p>`}
  </section>`;
}
