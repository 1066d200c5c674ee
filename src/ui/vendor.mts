/**
 * (.mts so that the server's type check of src, which globs .ts files, leaves it to the browser
 * check: preact's DOM types would change the globals of the server's program.)
 * The UI's libraries, from npm: preact (components and hooks), htm (its templates as tagged
 * strings, no build step) and uPlot (charts, its ESM build). `deno task gen` bundles this module
 * into static/gen/vendor.js, which the UI imports (and whose types are this file's).
 */
export { Fragment, h, render } from "preact";
export type { ComponentChildren, VNode } from "preact";
export {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
} from "preact/hooks";
export { default as uPlot } from "uplot";
/** `html\`<div class=${c}>${text}</div>\``: preact elements from a template; text stays text. */
export { html } from "htm/preact";
