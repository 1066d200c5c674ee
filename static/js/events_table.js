// @ts-check
/// <reference lib="dom" />
/** The anomaly events table (machine, start, duration, peak score, cause). */
import { h } from "./dom.js";
import { describeCause, fmtDuration, fmtScore, fmtTime } from "../gen/catalogue.js";
import { machineHash } from "./router.js";

/**
 * A table of events, newest first.
 * @param {any[]} events AnomalyEvent with machineName
 * @param {{ showMachine: boolean, now: number, limit?: number }} opts
 */
export function eventsTable(events, opts) {
  const head = h(
    "tr",
    {},
    opts.showMachine ? h("th", { scope: "col", text: "Machine" }) : null,
    h("th", { scope: "col", text: "Start" }),
    h("th", { scope: "col", text: "Duration" }),
    h("th", { scope: "col", class: "num", text: "Peak score" }),
    h("th", { scope: "col", text: "Cause" }),
  );
  const row = (/** @type {any} */ e) => {
    const causes = Array.isArray(e.causes) ? e.causes : [];
    const main = causes[0];
    const duration = e.end === null || e.end === undefined
      ? `${fmtDuration((opts.now - e.start) / 1000)}, ongoing`
      : fmtDuration((e.end - e.start) / 1000);
    return h(
      "tr",
      { class: e.end === null || e.end === undefined ? "open" : "" },
      opts.showMachine
        ? h(
          "td",
          {},
          h("a", {
            href: machineHash(e.machineId, {
              from: e.start - 15 * 60e3,
              to: (e.end ?? opts.now) + 15 * 60e3,
              range: "custom",
            }),
            text: String(e.machineName ?? e.machineId),
          }),
        )
        : null,
      h("td", { text: fmtTime(e.start) }),
      h("td", { text: duration }),
      h("td", { class: "num", text: fmtScore(e.peakScore) }),
      h(
        "td",
        { class: "cause" },
        main ? describeCause(main) : String(e.reason ?? "–"),
        ...causes.slice(1, 3).map((/** @type {any} */ c) =>
          h("span", { class: "cause-more", text: describeCause(c) })
        ),
      ),
    );
  };
  // The newest rows first; the rest on request, so a storm of events never blocks the page.
  const limit = opts.limit ?? 100;
  const body = h("tbody", {}, ...events.slice(0, limit).map(row));
  const more = events.length > limit
    ? h("button", {
      type: "button",
      class: "btn more",
      text: `Show all ${events.length} events`,
      onclick: (/** @type {Event} */ ev) => {
        body.append(...events.slice(limit).map(row));
        /** @type {HTMLElement} */ (ev.currentTarget).remove();
      },
    })
    : null;
  return h(
    "div",
    { class: "table-scroll" },
    h("table", { class: "table events" }, h("thead", {}, head), body),
    more,
  );
}
