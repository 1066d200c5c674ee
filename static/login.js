// @ts-check
/// <reference lib="dom" />
/**
 * The login page: takes the access token from `#token=...` (the link the master prints) or
 * from the form, posts it to /api/login, drops it from the address bar, and opens the dashboard.
 */

const form = /** @type {HTMLFormElement} */ (document.getElementById("login-form"));
const input = /** @type {HTMLInputElement} */ (document.getElementById("token"));
const msg = /** @type {HTMLElement} */ (document.getElementById("login-msg"));

/** Where to go afterwards: a dashboard route kept in the hash, or the fleet. */
const returnTo = location.hash.startsWith("#/") ? `/${location.hash}` : "/";

/** @param {string} token */
async function logIn(token) {
  msg.textContent = "Logging in…";
  let res;
  try {
    res = await fetch("/api/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token.trim() }),
    });
  } catch {
    msg.textContent = "The master does not answer. Check that it is running, then try again.";
    return;
  }
  if (res.ok) {
    location.replace(returnTo);
    return;
  }
  let reason = "";
  try {
    reason = (await res.json()).error ?? "";
  } catch { /* not JSON */ }
  msg.textContent = res.status === 401
    ? "That token is not right. Copy it again from the master's output or its ui-token file."
    : `Login failed: ${reason || `${res.status} ${res.statusText}`}`;
  input.focus();
}

async function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = location.hash.startsWith("#token=") ? fragment.get("token") : null;
  if (token) {
    // Out of the address bar (and history) before anything else happens.
    history.replaceState(null, "", location.pathname + location.search);
    await logIn(token);
    return;
  }
  try {
    const res = await fetch("/api/session", { credentials: "same-origin" });
    const s = await res.json();
    if (s.authenticated || s.publicUi) {
      location.replace(returnTo);
      return;
    }
  } catch { /* show the form */ }
  input.focus();
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (input.value.trim()) logIn(input.value);
});
start();
