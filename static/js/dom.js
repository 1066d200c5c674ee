// @ts-check
/// <reference lib="dom" />
/**
 * Tiny DOM helpers. Text always goes through textContent: strings from workers are never
 * parsed as HTML anywhere in the UI.
 */

/**
 * @typedef {Record<string, string | number | boolean | null | undefined | EventListener>} Attrs
 * Attributes; `text` sets textContent, `class` the class list, `on<event>` adds a listener,
 * `false`/`null`/`undefined` values are left out.
 */

/**
 * Creates an element. Children that are strings become text nodes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {(Node | string | null | undefined | false)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") el.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * Sets textContent only when it differs (cheap to call every frame).
 * @param {Element} el
 * @param {string} text
 */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * Replaces all children of `el`.
 * @param {Element} el
 * @param {(Node | string | null | undefined | false)[]} children
 */
export function replaceChildren(el, ...children) {
  el.replaceChildren(
    ...children.filter(/** @returns {c is Node | string} */ (c) => !!c || c === ""),
  );
}

/**
 * A message box for loading, empty and error states.
 * @param {"loading" | "empty" | "error"} kind
 * @param {string} title
 * @param {(Node | string | null | undefined | false)[]} body
 */
export function stateBox(kind, title, ...body) {
  return h(
    "div",
    { class: `state state-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", { class: "state-title", text: title }),
    ...body,
  );
}

/**
 * Reads a CSS custom property of the document (theme colours).
 * @param {string} name
 */
export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/**
 * Copies `el`'s text. The Clipboard API exists only in secure contexts (HTTPS, localhost): on a
 * plain-HTTP LAN address the text is selected and copied with execCommand. Resolves to what
 * happened: "copied", or "selected" (a person presses Ctrl+C).
 * @param {HTMLElement} el
 * @returns {Promise<"copied" | "selected">}
 */
export async function copyText(el) {
  const text = el.textContent ?? "";
  if (navigator.clipboard && isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return "copied";
    } catch { /* denied: select it instead */ }
  }
  const range = document.createRange();
  range.selectNodeContents(el);
  const selection = getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
  try {
    if (document.execCommand("copy")) return "copied";
  } catch { /* not allowed here */ }
  return "selected";
}
