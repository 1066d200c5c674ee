/**
 * The web UI's files, embedded in the module graph with text imports so that `deno compile`
 * puts them inside the binary. Each asset carries its content type, a content hash (for ETags)
 * and, computed once on first use, its gzip and brotli encodings.
 */
import { createHash } from "node:crypto";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";

import indexHtml from "../../static/index.html" with { type: "text" };
import loginHtml from "../../static/login.html" with { type: "text" };
import styleCss from "../../static/style.css" with { type: "text" };
import appJs from "../../static/app.js" with { type: "text" };
import loginJs from "../../static/login.js" with { type: "text" };
import alertsPageJs from "../../static/js/alerts_page.js" with { type: "text" };
import apiJs from "../../static/js/api.js" with { type: "text" };
import anomaliesPageJs from "../../static/js/anomalies_page.js" with { type: "text" };
import chartJs from "../../static/js/chart.js" with { type: "text" };
import domJs from "../../static/js/dom.js" with { type: "text" };
import eventsTableJs from "../../static/js/events_table.js" with { type: "text" };
import fleetChartsJs from "../../static/js/fleet_charts.js" with { type: "text" };
import fleetPageJs from "../../static/js/fleet_page.js" with { type: "text" };
import fleetTableJs from "../../static/js/fleet_table.js" with { type: "text" };
import historyRangeJs from "../../static/js/history_range.js" with { type: "text" };
import liveJs from "../../static/js/live.js" with { type: "text" };
import machineAdminJs from "../../static/js/machine_admin.js" with { type: "text" };
import machinePageJs from "../../static/js/machine_page.js" with { type: "text" };
import processTableJs from "../../static/js/process_table.js" with { type: "text" };
import routerJs from "../../static/js/router.js" with { type: "text" };
import scatterJs from "../../static/js/scatter.js" with { type: "text" };
import seriesStatsJs from "../../static/js/series_stats.js" with { type: "text" };
import sparkLoaderJs from "../../static/js/spark_loader.js" with { type: "text" };
import sparklineJs from "../../static/js/sparkline.js" with { type: "text" };
import stateJs from "../../static/js/state.js" with { type: "text" };
import uiJs from "../../static/js/ui.js" with { type: "text" };
import catalogueJs from "../../static/gen/catalogue.js" with { type: "text" };
import vendorJs from "../../static/gen/vendor.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };

/** One file the UI serves. */
export interface UiAsset {
  body: Uint8Array;
  contentType: string;
  /** Hex SHA-256 prefix of the body. */
  hash: string;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const HTML = "text/html; charset=utf-8";

/** Files under `/assets/<build>/`, by path relative to that prefix. */
const ASSET_SOURCES: Record<string, [string, string]> = {
  "app.js": [appJs, JS],
  "login.js": [loginJs, JS],
  "style.css": [styleCss, CSS],
  "js/alerts_page.js": [alertsPageJs, JS],
  "js/api.js": [apiJs, JS],
  "js/anomalies_page.js": [anomaliesPageJs, JS],
  "js/chart.js": [chartJs, JS],
  "js/dom.js": [domJs, JS],
  "js/events_table.js": [eventsTableJs, JS],
  "js/fleet_charts.js": [fleetChartsJs, JS],
  "js/fleet_page.js": [fleetPageJs, JS],
  "js/fleet_table.js": [fleetTableJs, JS],
  "js/history_range.js": [historyRangeJs, JS],
  "js/live.js": [liveJs, JS],
  "js/machine_admin.js": [machineAdminJs, JS],
  "js/machine_page.js": [machinePageJs, JS],
  "js/process_table.js": [processTableJs, JS],
  "js/router.js": [routerJs, JS],
  "js/scatter.js": [scatterJs, JS],
  "js/series_stats.js": [seriesStatsJs, JS],
  "js/spark_loader.js": [sparkLoaderJs, JS],
  "js/sparkline.js": [sparklineJs, JS],
  "js/state.js": [stateJs, JS],
  "js/ui.js": [uiJs, JS],
  "gen/catalogue.js": [catalogueJs, JS],
  "gen/vendor.js": [vendorJs, JS],
  "vendor/uPlot.min.css": [uplotCss, CSS],
};

function hashOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

function makeAsset(text: string, contentType: string): UiAsset {
  const body = new TextEncoder().encode(text);
  return { body, contentType, hash: hashOf(body) };
}

/** Assets by path under the build prefix. */
export const UI_ASSETS: ReadonlyMap<string, UiAsset> = new Map(
  Object.entries(ASSET_SOURCES).map(([path, [text, type]]) => [path, makeAsset(text, type)]),
);

/**
 * Identifies this set of assets: it changes whenever any file changes, so asset URLs that
 * contain it can be cached forever.
 */
export const UI_BUILD_ID: string = hashOf(
  new TextEncoder().encode([...UI_ASSETS].map(([p, a]) => `${p}:${a.hash}`).join("\n")),
);

/** The prefix every asset URL starts with, build id included. */
export const ASSET_PREFIX = `/assets/${UI_BUILD_ID}/`;

function htmlPage(text: string): UiAsset {
  return makeAsset(text.replaceAll("/assets/BUILD/", ASSET_PREFIX), HTML);
}

/** The single-page app's shell. */
export const INDEX_PAGE: UiAsset = htmlPage(indexHtml);
/** The page that asks for the access token. */
export const LOGIN_PAGE: UiAsset = htmlPage(loginHtml);

/** Content encodings the UI can answer with, best first. */
export type Encoding = "br" | "gzip";

const encoded = new WeakMap<UiAsset, Map<Encoding, Uint8Array>>();

/** The asset's body in `encoding`, compressed once and then kept. */
export function encodedBody(asset: UiAsset, encoding: Encoding): Uint8Array {
  let byEncoding = encoded.get(asset);
  if (!byEncoding) {
    byEncoding = new Map();
    encoded.set(asset, byEncoding);
  }
  let body = byEncoding.get(encoding);
  if (!body) {
    body = encoding === "br"
      ? new Uint8Array(brotliCompressSync(asset.body, {
        // Quality 5: within 1 % of quality 9 on these files, and 40 times faster.
        params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 },
      }))
      : new Uint8Array(gzipSync(asset.body, { level: 6 }));
    byEncoding.set(encoding, body);
  }
  return body;
}

/** Picks the best encoding the client accepts (`Accept-Encoding`), or undefined for identity. */
export function pickEncoding(acceptEncoding: string | undefined | null): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    accepted.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  for (const encoding of ["br", "gzip"] as const) {
    const q = accepted.get(encoding) ?? accepted.get("*");
    if (q !== undefined && q > 0) return encoding;
  }
  return undefined;
}
