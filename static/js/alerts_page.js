// @ts-check
/// <reference lib="dom" />
/**
 * Alerts: what fires now, the history with each notifier's delivery outcome, the rules, and
 * the silences (with a form to add one and a button to end a run-time one). Kept current by the
 * live feed's `alert` frames and by reloading /api/alerts.
 */
import { getJson, goToLogin, query } from "./api.js";
import { h, replaceChildren, setText, stateBox } from "./dom.js";
import { fmtDuration, fmtTime } from "../gen/catalogue.js";
import { machineHash, navigate, routeHash } from "./router.js";
import { makeRangeButtons, rangeMs, routeRange } from "./history_range.js";

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
const SILENCE_DURATIONS = ["30m", "1h", "2h", "8h", "24h"];
/** The rules the master uses without a rules file (src/alerts/defaults.ts). */
const BUILT_IN_RULES = "anomaly,filesystem-full,machine-offline";
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };

/**
 * How one notifier's newest delivery attempt went, for people.
 * @param {{ notifier: string, ok: boolean, attempt: number, final: boolean, error: string | null }} d
 * @returns {{ state: "delivered" | "retrying" | "failed", text: string }}
 */
export function describeDelivery(d) {
  if (d.ok) {
    return {
      state: "delivered",
      text: `${d.notifier}: delivered${d.attempt > 1 ? ` (attempt ${d.attempt})` : ""}`,
    };
  }
  const error = d.error ?? "unknown error";
  if (d.final) {
    return {
      state: "failed",
      text: `${d.notifier}: failed after ${d.attempt} attempt${
        d.attempt === 1 ? "" : "s"
      }: ${error}`,
    };
  }
  return {
    state: "retrying",
    text: `${d.notifier}: retrying (attempt ${d.attempt} failed: ${error})`,
  };
}

/**
 * A glob as people wrote it, from the regular expression the API reports (`^web-.*$` → `web-*`).
 * @param {string | null} source
 */
export function globFromSource(source) {
  if (!source) return null;
  const body = source.replace(/^\^/, "").replace(/\$$/, "");
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\" && i + 1 < body.length) out += body[++i];
    else if (c === "." && body[i + 1] === "*") {
      out += "*";
      i++;
    } else if (c === ".") out += "?";
    else out += c;
  }
  return out;
}

/**
 * "30s", "5m", "2h".
 * @param {number | null} ms
 */
export function shortDuration(ms) {
  if (ms === null || ms === undefined) return "–";
  if (ms === 0) return "at once";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

/**
 * What a rule watches: "cpu.usage >= 97", "offline", "anomaly event opens".
 * @param {any} rule a rule from GET /api/alerts/rules
 */
export function describeCondition(rule) {
  if (rule.kind === "threshold") return `${rule.metric} ${rule.op} ${rule.threshold}`;
  if (rule.kind === "offline") return "stops reporting";
  if (rule.kind === "anomaly") return "an anomaly event opens";
  if (rule.kind === "process") {
    const name = rule.process === "*" ? "any process" : rule.process;
    if (rule.condition === "not-running") return `${name} not running`;
    return `${name} ${
      rule.condition === "cpu" ? "CPU %" : "memory (bytes)"
    } ${rule.op} ${rule.threshold}`;
  }
  return String(rule.kind);
}

/**
 * "01:00–03:00 UTC daily".
 * @param {{ start: number, end: number }} daily minutes after midnight UTC
 */
function dailyWindow(daily) {
  const hm = (/** @type {number} */ m) =>
    `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  return `${hm(daily.start)}–${hm(daily.end)} UTC daily`;
}

/**
 * A table with a header row.
 * @param {string} cls
 * @param {string[]} headers
 * @param {HTMLElement[]} rows
 */
function table(cls, headers, rows) {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: `table ${cls}` },
      h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, ...rows),
    ),
  );
}

/** @param {string} severity */
function severityTag(severity) {
  return h("span", { class: `sev sev-${severity}`, text: severity });
}

/**
 * Mounts the alerts page.
 * @param {HTMLElement} root
 * @param {import("./router.js").Route} route
 * @param {import("../app.js").AppContext} ctx
 */
export function mountAlertsPage(root, route, ctx) {
  let machine = route.params.get("machine") ?? "";
  let range = routeRange(route);
  const controller = new AbortController();
  document.title = "Alerts · gridmon";

  const counts = h("p", { class: "counts", role: "status", "aria-live": "polite" });
  const machineSelect = h("select", { class: "input", "aria-label": "Machine" });
  machineSelect.addEventListener(
    "change",
    () => navigate(routeHash("/alerts", { machine: machineSelect.value, range })),
  );
  const rangeButtons = makeRangeButtons((r) =>
    navigate(routeHash("/alerts", { machine, range: r }))
  );
  const notice = h("div", { class: "alerts-notice" });
  const firingEl = h("div", { class: "alerts-firing" });
  const historyEl = h("div", { class: "alerts-history" });
  const rulesEl = h("div", { class: "alerts-rules" });
  const silencesEl = h("div", { class: "alerts-silences" });

  // The silence form: built once, so typing survives reloads.
  const ruleSelect = h("select", { class: "input", name: "rule", "aria-label": "Rule" });
  const machinesInput = h("input", {
    class: "input",
    name: "machines",
    type: "text",
    placeholder: "machines: all, or web-*",
    "aria-label": "Machines (name or id pattern, optional)",
    maxlength: "256",
  });
  const durationSelect = h(
    "select",
    { class: "input", name: "duration", "aria-label": "For" },
    ...SILENCE_DURATIONS.map((d) => h("option", { value: d, text: `for ${d}` })),
  );
  durationSelect.value = "1h";
  const commentInput = h("input", {
    class: "input",
    name: "comment",
    type: "text",
    placeholder: "comment (optional)",
    "aria-label": "Comment",
    maxlength: "500",
  });
  const silenceButton = h("button", { type: "submit", class: "btn btn-primary", text: "Silence" });
  const formMsg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  const silenceForm = h(
    "form",
    { class: "silence-form", "aria-label": "Add a silence" },
    ruleSelect,
    machinesInput,
    durationSelect,
    commentInput,
    silenceButton,
  );
  silenceForm.addEventListener("submit", (e) => {
    e.preventDefault();
    addSilence();
  });

  const card = (/** @type {string} */ label, /** @type {(Node | null)[]} */ ...kids) =>
    h(
      "section",
      { class: "card", "aria-label": label },
      h("h2", { class: "card-title", text: label }),
      ...kids,
    );
  const page = h(
    "div",
    { class: "page page-alerts" },
    h("div", { class: "page-head" }, h("h1", { text: "Alerts" }), counts),
    h(
      "div",
      { class: "toolbar" },
      machineSelect,
      h("div", { class: "segs", role: "group", "aria-label": "History range" }, ...rangeButtons),
    ),
    notice,
    card("Firing now", firingEl),
    card("History", historyEl),
    h(
      "div",
      { class: "alerts-grid" },
      card("Rules", rulesEl),
      card("Silences", silencesEl, silenceForm, formMsg),
    ),
  );
  root.append(page);

  /** @type {any[]} */
  let active = [];
  /** @type {any | null} */
  let config = null;
  let loaded = false;
  /** Deliveries that failed for good since the master started. */
  let failed = 0;
  /**
   * Texts that count with the clock (firing for ..., ... left), updated every second.
   * @typedef {{ el: HTMLElement, text: (now: number) => string }} Ticker
   * @type {Ticker[]}
   */
  let firingTickers = [];
  /** @type {Ticker[]} */
  let silenceTickers = [];
  /** @type {Ticker[]} */
  let historyTickers = [];
  /** What each part was last drawn from: a reload that changed nothing redraws nothing. */
  const drawn = { firing: "", history: "", rules: "", silences: "", notice: "" };

  let selectSignature = "";
  function fillMachineSelect() {
    const list = [...ctx.fleet.machines.values()].sort((a, b) => collator.compare(a.name, b.name));
    const signature = list.map((m) => `${m.id}\0${m.name}`).join("\n") + `\n${machine}`;
    if (signature !== selectSignature) {
      selectSignature = signature;
      const options = list.map((m) => h("option", { value: m.id, text: m.name }));
      if (machine && !list.some((m) => m.id === machine)) {
        options.push(h("option", { value: machine, text: machine }));
      }
      machineSelect.replaceChildren(h("option", { value: "", text: "All machines" }), ...options);
    }
    machineSelect.value = machine;
  }

  /**
   * A link to a machine's page, named as the alert names it.
   * @param {any} a
   */
  function machineLink(a) {
    const known = ctx.fleet.machines.get(a.machineId);
    return h("a", { href: machineHash(a.machineId), text: String(known?.name ?? a.machineName) });
  }

  function renderFiring() {
    const now = Date.now();
    const list = active
      .filter((a) => a.firedAt !== null && (!machine || a.machineId === machine))
      .sort((a, b) =>
        (SEVERITY_ORDER[/** @type {"info"} */ (a.severity)] ?? 3) -
          (SEVERITY_ORDER[/** @type {"info"} */ (b.severity)] ?? 3) || b.firedAt - a.firedAt
      );
    const silenced = list.filter((a) => a.silenced).length;
    setText(
      counts,
      loaded
        ? `${list.length} firing${silenced ? ` · ${silenced} silenced` : ""}${
          machine ? ` on ${ctx.fleet.machines.get(machine)?.name ?? machine}` : ""
        }`
        : "Loading…",
    );
    if (!loaded) return;
    const signature = JSON.stringify([machine, list]);
    if (drawn.firing === signature) return;
    drawn.firing = signature;
    firingTickers = [];
    if (!list.length) {
      replaceChildren(
        firingEl,
        stateBox(
          "empty",
          "No alerts firing",
          h("p", {
            text: machine
              ? "Nothing is wrong with this machine by the rules below."
              : "Every machine is within the rules below.",
          }),
        ),
      );
      return;
    }
    const rows = list.map((a) => {
      const fired = a.firedAt ?? a.since;
      /** @type {Ticker} */
      const ticker = {
        el: h("span", { class: "muted" }),
        text: (t) => `for ${fmtDuration((t - fired) / 1000)}`,
      };
      setText(ticker.el, ticker.text(now));
      firingTickers.push(ticker);
      return h(
        "tr",
        { class: `alert-row sev-row-${a.severity}`, "data-key": a.key },
        h("td", {}, severityTag(a.severity)),
        h("td", { class: "rule", text: a.rule }),
        h("td", { class: "machine" }, machineLink(a)),
        h("td", { class: "message", text: a.message }),
        h("td", { class: "nowrap" }, fmtTime(fired), h("br"), ticker.el),
        h(
          "td",
          {},
          a.silenced
            ? h("span", { class: "tag tag-silenced", text: "silenced" })
            : h("span", { class: "muted", text: "no" }),
        ),
      );
    });
    replaceChildren(
      firingEl,
      table("alerts-active", ["Severity", "Rule", "Machine", "Message", "Since", "Silenced"], rows),
    );
  }

  /**
   * The delivery cell of a history row.
   * @param {any} a
   */
  function deliveryCell(a) {
    const td = h("td", { class: "deliveries" });
    if (a.deliveries?.length) {
      for (const d of a.deliveries) {
        const { state, text } = describeDelivery(d);
        td.append(h("span", { class: `dl dl-${state}`, text }));
      }
    } else if (a.silenced) td.append(h("span", { class: "muted", text: "silenced: not sent" }));
    else if (config && config.notifiers.length === 0) {
      td.append(h("span", { class: "muted", text: "not sent: no notifiers" }));
    } else td.append(h("span", { class: "muted", text: "sending…" }));
    return td;
  }

  /** @param {any[]} history */
  function renderHistory(history) {
    historyTickers = [];
    if (!history.length) {
      replaceChildren(
        historyEl,
        stateBox(
          "empty",
          "No alerts in this range.",
          h("p", { text: "Alerts that fire are kept here with how each notifier took them." }),
        ),
      );
      return;
    }
    const now = Date.now();
    const rows = history.map((a) =>
      h(
        "tr",
        { class: a.resolvedAt === null ? "open" : "", "data-id": String(a.id) },
        h("td", { class: "nowrap", text: fmtTime(a.firedAt) }),
        h(
          "td",
          { class: "nowrap" },
          a.resolvedAt === null ? "firing" : fmtTime(a.resolvedAt),
          // Why it ended, unless its condition simply cleared.
          a.closeReason && a.closeReason !== "recovered"
            ? h("span", { class: "tag close-reason", text: a.closeReason })
            : null,
        ),
        h(
          "td",
          {},
          (() => {
            /** @type {Ticker} */
            const ticker = {
              el: h("span"),
              text: (t) =>
                a.resolvedAt === null
                  ? `${fmtDuration((t - a.firedAt) / 1000)}, ongoing`
                  : fmtDuration((a.resolvedAt - a.firedAt) / 1000),
            };
            setText(ticker.el, ticker.text(now));
            if (a.resolvedAt === null) historyTickers.push(ticker);
            return ticker.el;
          })(),
        ),
        h("td", {}, severityTag(a.severity)),
        h("td", { class: "rule", text: a.rule }),
        h("td", { class: "machine" }, machineLink(a)),
        h(
          "td",
          { class: "message" },
          a.message,
          a.silenced ? h("span", { class: "tag tag-silenced", text: "silenced" }) : null,
          a.foundLate
            ? h("span", {
              class: "tag tag-late",
              text: "found late",
              title: `Found in data that arrived late, at ${fmtTime(a.detectedAt)}`,
            })
            : null,
        ),
        deliveryCell(a),
      )
    );
    replaceChildren(
      historyEl,
      table(
        "alerts-history-table",
        ["Fired", "Resolved", "Duration", "Severity", "Rule", "Machine", "Message", "Delivery"],
        rows,
      ),
    );
  }

  function renderRules() {
    if (!config) return;
    const notifierNames = config.notifiers.map((/** @type {any} */ n) => n.name);
    const rows = config.rules.map((/** @type {any} */ r) =>
      h(
        "tr",
        {},
        h("td", { class: "rule", text: r.name }),
        h("td", { text: r.kind }),
        h("td", { class: "nowrap", text: describeCondition(r) }),
        h("td", {
          text: `${shortDuration(r.forMs)}${
            r.repeatMs ? `, repeat ${shortDuration(r.repeatMs)}` : ""
          }`,
        }),
        h("td", { text: globFromSource(r.machines) ?? "all machines" }),
        h("td", {
          text: notifierNames.length === 0
            ? "none"
            : (r.notify.length ? r.notify : notifierNames).join(", "),
        }),
        h("td", {}, severityTag(r.severity)),
      )
    );
    replaceChildren(
      rulesEl,
      config.rules.length
        ? table("alerts-rules-table", [
          "Name",
          "Kind",
          "Condition",
          "For",
          "Scope",
          "Notifiers",
          "Severity",
        ], rows)
        : stateBox("empty", "No rules.", h("p", { text: "The rules file defines none." })),
    );
    // The rule picker of the silence form, rebuilt only when the rules change.
    const signature = config.rules.map((/** @type {any} */ r) => r.name).join("\n");
    if (ruleSelect.dataset.signature !== signature) {
      const keep = ruleSelect.value;
      ruleSelect.dataset.signature = signature;
      ruleSelect.replaceChildren(
        h("option", { value: "*", text: "All rules" }),
        ...config.rules.map((/** @type {any} */ r) => h("option", { value: r.name, text: r.name })),
      );
      if (keep) ruleSelect.value = keep;
    }
  }

  function renderNotice() {
    /** @type {Node[]} */
    const boxes = [];
    if (config && config.notifiers.length === 0) {
      const names = config.rules.map((/** @type {any} */ r) => r.name).sort().join(",");
      boxes.push(
        stateBox(
          "empty",
          names === BUILT_IN_RULES
            ? "No rules file: built-in rules only, delivering nowhere — see docs"
            : "No notifiers: alerts are recorded and shown here, but delivered nowhere — see docs",
          h(
            "p",
            {},
            "Start the master with ",
            h("code", { text: "--alerts alerts.yaml" }),
            " to send alerts to a webhook, Slack, Discord or ntfy (docs/alerts.md, and examples/alerts.yaml for a start).",
          ),
        ),
      );
    }
    if (failed > 0) {
      boxes.push(
        stateBox(
          "error",
          `${failed} deliver${
            failed === 1 ? "y" : "ies"
          } failed for good since the master started.`,
          h("p", {
            text:
              "The history below shows each notifier's error; the master's log has every attempt.",
          }),
        ),
      );
    }
    replaceChildren(notice, ...boxes);
  }

  function renderSilences() {
    if (!config) return;
    const now = Date.now();
    silenceTickers = [];
    const rows = [
      ...config.silences.runtime.map((/** @type {any} */ s) =>
        h(
          "tr",
          { "data-id": String(s.id) },
          h("td", { class: "rule", text: s.rule === "*" ? "all rules" : s.rule }),
          h("td", { text: s.machines ?? "all machines" }),
          h(
            "td",
            {},
            (() => {
              /** @type {Ticker} */
              const ticker = {
                el: h("span"),
                text: (t) =>
                  `until ${fmtTime(s.until)} (${
                    fmtDuration(Math.max(0, s.until - t) / 1000)
                  } left)`,
              };
              setText(ticker.el, ticker.text(now));
              silenceTickers.push(ticker);
              return ticker.el;
            })(),
          ),
          h("td", { text: s.comment ?? "" }),
          h("td", { class: "muted nowrap", text: "run time" }),
          h(
            "td",
            { class: "nowrap" },
            h("button", {
              type: "button",
              class: "btn btn-small",
              text: "End silence",
              "aria-label": `End the silence of ${s.rule === "*" ? "all rules" : s.rule}`,
              onclick: (/** @type {Event} */ e) =>
                endSilence(s.id, /** @type {HTMLButtonElement} */ (e.currentTarget)),
            }),
          ),
        )
      ),
      ...config.silences.file.map((/** @type {any} */ s) =>
        h(
          "tr",
          {},
          h("td", { class: "rule", text: s.rule === "*" ? "all rules" : s.rule }),
          h("td", { text: globFromSource(s.machines) ?? "all machines" }),
          h("td", {
            text: s.daily ? dailyWindow(s.daily) : [
              s.from ? `from ${fmtTime(s.from)}` : "",
              s.until ? `until ${fmtTime(s.until)}` : "",
            ]
              .filter(Boolean).join(" "),
          }),
          h("td", { text: s.comment ?? "" }),
          h("td", { class: "muted nowrap", text: "rules file" }),
          h("td"),
        )
      ),
    ];
    replaceChildren(
      silencesEl,
      rows.length
        ? table(
          "alerts-silences-table",
          ["Rule", "Machines", "When", "Comment", "Source", ""],
          rows,
        )
        : h("p", { class: "muted", text: "No silences. Silence a rule for a while:" }),
    );
  }

  let loadSeq = 0;
  async function load() {
    const seq = ++loadSeq;
    wantSoon = false;
    for (const b of rangeButtons) b.setAttribute("aria-pressed", String(b.dataset.range === range));
    fillMachineSelect();
    if (!loaded) {
      replaceChildren(firingEl, stateBox("loading", "Loading alerts…"));
      renderFiring();
    }
    const ms = rangeMs(range);
    const to = Date.now();
    try {
      const [alerts, rules] = await Promise.all([
        getJson(`/api/alerts?${query({ from: to - ms, to, machine })}`, controller.signal),
        getJson("/api/alerts/rules", controller.signal),
      ]);
      if (seq !== loadSeq) return;
      loaded = true;
      active = Array.isArray(alerts.active) ? alerts.active : [];
      failed = Number(alerts.failedDeliveries) || 0;
      config = rules;
      const history = Array.isArray(alerts.history) ? alerts.history : [];
      /** Draws a part when what it shows changed since it was last drawn. */
      const redraw = (
        /** @type {keyof typeof drawn} */ part,
        /** @type {unknown} */ data,
        /** @type {() => void} */ draw,
      ) => {
        const signature = JSON.stringify(data);
        if (drawn[part] === signature) return;
        drawn[part] = signature;
        draw();
      };
      redraw("notice", [
        failed,
        config.notifiers,
        config.rules.map((/** @type {any} */ r) => r.name),
      ], renderNotice);
      renderFiring();
      redraw("history", [history, config.notifiers.length], () => renderHistory(history));
      redraw("rules", [config.rules, config.notifiers], renderRules);
      redraw("silences", config.silences, renderSilences);
      schedule(wantSoon ? 1000 : retrying(history) || active.length ? 5000 : 30_000);
    } catch (error) {
      if (controller.signal.aborted || seq !== loadSeq) return;
      drawn.notice = "";
      replaceChildren(
        notice,
        stateBox(
          "error",
          `Could not load alerts: ${/** @type {Error} */ (error).message}`,
          h("button", { type: "button", class: "btn", text: "Retry", onclick: load }),
        ),
      );
      schedule(10_000);
    }
  }

  /** @param {any[]} history */
  function retrying(history) {
    return (history ?? []).some((a) =>
      (a.deliveries ?? []).some((/** @type {any} */ d) => !d.ok && !d.final)
    );
  }

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let timerDue = 0;
  /** An alert frame came during a load: the next reload is in a second, not later. */
  let wantSoon = false;
  /** Reloads after `ms` (replacing any reload already planned). */
  function schedule(/** @type {number} */ ms) {
    clearTimeout(timer);
    timerDue = Date.now() + ms;
    timer = setTimeout(load, ms);
  }
  /** Reloads within a second; a storm of frames still reloads once a second, not never. */
  function soon() {
    wantSoon = true;
    const now = Date.now();
    if (timerDue <= now || timerDue - now > 1000) schedule(1000);
  }

  /**
   * Sends a write to the alert API; returns the error message, or null when it worked.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async function send(method, path, body) {
    let res;
    try {
      res = await fetch(path, {
        method,
        credentials: "same-origin",
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
    } catch {
      return "The master does not answer. Is it running and reachable?";
    }
    if (res.status === 401) {
      goToLogin();
      return "Your session has ended; log in again.";
    }
    if (res.ok) return null;
    try {
      const answer = await res.json();
      return String(answer?.error ?? `${res.status} ${res.statusText}`);
    } catch {
      return `${res.status} ${res.statusText}`;
    }
  }

  async function addSilence() {
    silenceButton.disabled = true;
    setText(formMsg, "");
    formMsg.className = "form-msg";
    const rule = ruleSelect.value || "*";
    const error = await send("POST", "/api/alerts/silences", {
      rule,
      machines: machinesInput.value.trim() || undefined,
      duration: durationSelect.value,
      comment: commentInput.value.trim() || undefined,
    });
    silenceButton.disabled = false;
    if (controller.signal.aborted) return;
    if (error) {
      formMsg.className = "form-msg is-error";
      setText(formMsg, `Could not add the silence: ${error}`);
      return;
    }
    setText(
      formMsg,
      `Silenced ${rule === "*" ? "all rules" : rule} for ${durationSelect.value}.`,
    );
    machinesInput.value = "";
    commentInput.value = "";
    load();
  }

  /**
   * @param {number} id
   * @param {HTMLButtonElement} button
   */
  async function endSilence(id, button) {
    button.disabled = true;
    const error = await send("DELETE", `/api/alerts/silences/${id}`);
    if (controller.signal.aborted) return;
    if (error) {
      button.disabled = false;
      formMsg.className = "form-msg is-error";
      setText(formMsg, `Could not end the silence: ${error}`);
      return;
    }
    formMsg.className = "form-msg";
    setText(formMsg, "Silence ended.");
    load();
  }

  let firingQueued = false;
  const offMessage = ctx.onMessage((msg) => {
    if (msg.type !== "alert" || !msg.alert || typeof msg.alert.key !== "string") return;
    // Show the change at once, then reload soon for the history and the deliveries.
    active = active.filter((a) => a.key !== msg.alert.key);
    if (msg.alert.resolvedAt === null) active.push(msg.alert);
    if (loaded && !firingQueued) {
      firingQueued = true;
      setTimeout(() => {
        firingQueued = false;
        if (!controller.signal.aborted) renderFiring();
      }, 200);
    }
    soon();
  });
  const offFleet = ctx.fleet.subscribe((kind) => {
    if (kind === "structure") fillMachineSelect();
  });
  const clock = setInterval(() => {
    const now = Date.now();
    for (const t of firingTickers) setText(t.el, t.text(now));
    for (const t of silenceTickers) setText(t.el, t.text(now));
    for (const t of historyTickers) setText(t.el, t.text(now));
  }, 1000);
  load();

  return {
    /** @param {import("./router.js").Route} r */
    update(r) {
      machine = r.params.get("machine") ?? "";
      range = routeRange(r);
      load();
      return true;
    },
    unmount() {
      controller.abort();
      clearTimeout(timer);
      clearInterval(clock);
      offMessage();
      offFleet();
      page.remove();
    },
  };
}
