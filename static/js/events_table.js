// @ts-check
/// <reference lib="dom" />
/** The anomaly events table (machine, start, duration, peak score, cause). */
import { describeCause, fmtDuration, fmtScore, fmtTime } from "../gen/catalogue.js";
import { machineHash } from "./router.js";
import { html, renderedElement, useState } from "./ui.js";

/** Why an event ended, in words (docs/api.md: closeReason). */
const CLOSE_WORDS = /** @type {Record<string, string>} */ ({
  recovered: "recovered",
  offline: "machine went offline",
  restarted: "master restarted",
});

/**
 * How an event ended: "ongoing", or its close reason in words ("–" for events closed before
 * reasons were kept).
 * @param {{ end?: number | null, closeReason?: string | null }} e
 */
export function endedText(e) {
  if (e.end === null || e.end === undefined) return "ongoing";
  return e.closeReason ? CLOSE_WORDS[e.closeReason] ?? String(e.closeReason) : "–";
}

/**
 * @param {{ e: any, showMachine: boolean, now: number }} props
 */
function EventRow({ e, showMachine, now }) {
  const causes = Array.isArray(e.causes) ? e.causes : [];
  const open = e.end === null || e.end === undefined;
  const duration = fmtDuration(((open ? now : e.end) - e.start) / 1000);
  const link = showMachine &&
    machineHash(e.machineId, {
      from: e.start - 15 * 60e3,
      to: (e.end ?? now) + 15 * 60e3,
      range: "custom",
    });
  return html`<tr class=${open ? "open" : ""}>
    ${showMachine && html`<td><a href=${link}>${String(e.machineName ?? e.machineId)}</a></td>`}
    <td>${fmtTime(e.start)}</td>
    <td>${duration}</td>
    <td class="ended">${endedText(e)}</td>
    <td class="num">${fmtScore(e.peakScore)}</td>
    <td class="cause">${causes[0] ? describeCause(causes[0]) : String(e.reason ?? "–")}${
    causes.slice(1, 3).map((/** @type {any} */ c) =>
      html`<span class="cause-more">${describeCause(c)}</span>`
    )
  }</td>
  </tr>`;
}

/**
 * A table of events, newest first: the first `limit`, the rest on request, so a storm of events
 * never blocks the page.
 * @param {{ events: any[], showMachine: boolean, now: number, limit?: number }} props
 */
export function EventsTable({ events, showMachine, now, limit = 100 }) {
  const [all, setAll] = useState(false);
  const shown = all ? events : events.slice(0, limit);
  return html`<div class="table-scroll">
    <table class="table events">
      <thead><tr>
        ${showMachine && html`<th scope="col">Machine</th>`}
        <th scope="col">Start</th><th scope="col">Duration</th><th scope="col">Ended</th>
        <th scope="col" class="num">Peak score</th><th scope="col">Cause</th>
      </tr></thead>
      <tbody>${
    shown.map((e) => html`<${EventRow} key=${e.id} e=${e} showMachine=${showMachine} now=${now} />`)
  }</tbody>
    </table>
    ${
    !all && events.length > limit &&
    html`<button type="button" class="btn more" onClick=${() =>
      setAll(true)}>Show all ${events.length} events</button>`
  }
  </div>`;
}

/**
 * The table as an element, for pages that build their DOM themselves.
 * @param {any[]} events
 * @param {{ showMachine: boolean, now: number }} opts
 */
export function eventsTable(events, { showMachine, now }) {
  return renderedElement(
    html`<${EventsTable} events=${events} showMachine=${showMachine} now=${now} />`,
  );
}
