// @ts-check
/// <reference lib="dom" />
/**
 * What every component uses: preact and htm (static/gen/vendor.js), and the few hooks that give
 * each component one lifecycle: it mounts, updates from props and state, and on unmount its
 * effects undo what they started (timers, subscriptions, requests). Text always goes in as text:
 * htm never parses a value as HTML.
 */
import { html, render, useEffect, useRef, useState } from "../gen/vendor.js";

export { cssVar } from "./dom.js";

export {
  Fragment,
  html,
  render,
  uPlot,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "../gen/vendor.js";

/**
 * @typedef {import("../app.js").AppContext} AppContext
 * @typedef {import("./router.js").Route} Route
 */

/** A function that re-renders the component it belongs to. */
export function useRerender() {
  const set = useState(0)[1];
  return () => set((n) => n + 1);
}

/**
 * Re-renders on every change of the fleet (or only on the kinds `accept` lets through),
 * at most once per `throttleMs` when given.
 * @param {AppContext} ctx
 * @param {{ accept?: (kind: string) => boolean, throttleMs?: number }} [opts]
 */
export function useFleet(ctx, opts = {}) {
  const rerender = useRerender();
  useEffect(() => {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const off = ctx.fleet.subscribe((/** @type {string} */ kind) => {
      if (opts.accept && !opts.accept(kind)) return;
      if (!opts.throttleMs) return rerender();
      if (timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          rerender();
        }, opts.throttleMs);
      }
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [ctx]);
  return ctx.fleet;
}

/**
 * Calls the latest `handler` with every live-feed message while the component is mounted.
 * @param {AppContext} ctx
 * @param {(msg: any) => void} handler
 */
export function useLiveMessages(ctx, handler) {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => ctx.onMessage((msg) => latest.current(msg)), [ctx]);
}

/**
 * The current time, re-rendering every `ms` (durations that count with the clock).
 * @param {number} [ms]
 */
export function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/**
 * Calls the latest `fn` every `ms` while mounted.
 * @param {() => void} fn
 * @param {number} ms
 */
export function useInterval(fn, ms) {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    const timer = setInterval(() => latest.current(), ms);
    return () => clearInterval(timer);
  }, [ms]);
}

/** An AbortSignal that aborts when the component unmounts. */
export function useUnmountSignal() {
  const controller = useRef(/** @type {AbortController | null} */ (null));
  if (!controller.current) controller.current = new AbortController();
  useEffect(() => () => controller.current?.abort(), []);
  return controller.current.signal;
}

/**
 * Sets the document title while mounted.
 * @param {string} title
 */
export function useTitle(title) {
  useEffect(() => {
    document.title = title;
  }, [title]);
}

/**
 * A message box for loading, empty and error states.
 * @param {{ kind: "loading" | "empty" | "error", title: string, children?: any }} props
 */
export function StateBox({ kind, title, children }) {
  return html`<div class=${`state state-${kind}`} role=${kind === "error" ? "alert" : "status"}>
    <p class="state-title">${title}</p>${children}</div>`;
}

/**
 * A table with a header row in a scrolling box.
 * @param {{ cls: string, headers: string[], children?: any }} props
 */
export function Table({ cls, headers, children }) {
  return html`
    <div class="table-scroll">
      <table class=${`table ${cls}`}>
        <thead>
          <tr>${headers.map((t) => html`<th scope="col">${t}</th>`)}</tr>
        </thead>
        <tbody>${children}</tbody>
      </table>
    </div>
  `;
}

/**
 * A card: a section with a title.
 * @param {{ label: string, children?: any }} props
 */
export function Card({ label, children }) {
  return html`<section class="card" aria-label=${label}>
    <h2 class="card-title">${label}</h2>${children}</section>`;
}

/**
 * Segment buttons for time ranges.
 * @param {{ ranges: readonly (readonly [string, number])[], current: string | null,
 *   pick: (range: string) => void, label?: string, text?: (range: string) => string }} props
 */
export function RangeButtons({ ranges, current, pick, label = "Time range", text }) {
  return html`<div class="segs" role="group" aria-label=${label}>${
    ranges.map(([r]) =>
      html`
        <button type="button" class="seg" data-range=${r} aria-pressed=${String(r === current)}
          onClick=${() => pick(r)}>${text ? text(r) : r}</button>
      `
    )
  }</div>`;
}

/**
 * A page made of a component, in the shape app.js mounts: the route changes as a new prop;
 * unmounting unmounts the component, whose effects clean up after themselves.
 * @param {(props: { route: Route, ctx: AppContext }) => any} Page
 * @returns {(root: HTMLElement, route: Route, ctx: AppContext) =>
 *   { update: (route: Route) => boolean, unmount: () => void }}
 */
export function componentPage(Page) {
  return (root, route, ctx) => {
    const draw = (/** @type {Route} */ r) => render(html`<${Page} route=${r} ctx=${ctx} />`, root);
    draw(route);
    return {
      update(r) {
        draw(r);
        return true;
      },
      unmount: () => render(null, root),
    };
  };
}

/**
 * A component drawn into a fresh element, for pages that build their DOM themselves.
 * @param {any} vnode
 */
export function renderedElement(vnode) {
  const host = document.createElement("div");
  render(vnode, host);
  return host;
}
