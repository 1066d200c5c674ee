/**
 * A real SMTP server for tests: tests/alerts/smtp_server.py on Debian's python3-aiosmtpd
 * (scripts/setup.sh --test installs it), with a self-signed certificate made by openssl.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const SERVER = new URL("./smtp_server.py", import.meta.url).pathname;
const PYTHON = "/usr/bin/python3"; // Debian's, where python3-aiosmtpd installs

export interface Received {
  from: string;
  to: string[];
  tls: boolean;
  authenticated: boolean;
  subject: string;
  headerTo: string;
  text: string;
  html: string;
}

export async function certificate(
  dir: string,
): Promise<{ cert: string; key: string; pem: string }> {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const { code, stderr } = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return { cert, key, pem: await Deno.readTextFile(cert) };
}

/** Starts the SMTP server (login required); resolves with its port once it listens. */
export async function smtpServer(
  security: "starttls" | "tls",
  tls: { cert: string; key: string },
  out: string,
  login: { user: string; password: string },
) {
  await Deno.mkdir(out, { recursive: true });
  const child = new Deno.Command(PYTHON, {
    args: [
      SERVER,
      "--security",
      security,
      "--cert",
      tls.cert,
      "--key",
      tls.key,
      "--user",
      login.user,
      "--password",
      login.password,
      "--out",
      out,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/ready \d+\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the SMTP server did not start: ${text}`);
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    port: Number(/ready (\d+)/.exec(text)![1]),
    async received(): Promise<Received[]> {
      const found: Received[] = [];
      for (let n = 1;; n++) {
        try {
          found.push(JSON.parse(await Deno.readTextFile(join(out, `${n}.json`))));
        } catch {
          return found;
        }
      }
    },
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
