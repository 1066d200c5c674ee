import assert from "node:assert/strict";
import {
  parseAuxv,
  parseBootTime,
  parseCmdline,
  parsePidIo,
  parsePidStat,
  parseStatmResident,
} from "../../../src/worker/collectors/process_files.ts";
import { capturedPids, fixture, PROCESS_KERNELS, readFixture } from "./fixtures.ts";

function statusField(status: string, key: string): string {
  const match = new RegExp(`^${key}:\\s*(.*)$`, "m").exec(status);
  assert.ok(match, `status has ${key}`);
  return match[1];
}

function coresOf(procStat: string): number {
  return procStat.split("\n").filter((line) => /^cpu\d+ /.test(line)).length;
}

for (const kernel of PROCESS_KERNELS) {
  for (const snapshot of ["t0", "t1"]) {
    const root = `${kernel}/${snapshot}`;
    Deno.test(`parsePidStat() and parseStatmResident() agree with status on ${root}`, () => {
      const pids = capturedPids(root);
      assert.ok(pids.length > 40, `${pids.length} processes captured`);
      const pageKb = parseAuxv(Deno.readFileSync(fixture(`${root}/proc/self/auxv`))).pageSize /
        1024;
      const cores = coresOf(readFixture(`${root}/proc/stat`));
      // The three files are read one after another and a live process moves on in between
      // (state, threads, memory), so each field must agree for nine processes in ten: a
      // parser reading the wrong field would disagree for nearly all.
      const disagree = { state: 0, threads: 0, resident: 0, rss: 0 };
      for (const pid of pids) {
        const stat = parsePidStat(readFixture(`${root}/proc/${pid}/stat`));
        const status = readFixture(`${root}/proc/${pid}/status`);
        assert.equal(stat.pid, Number(pid));
        // A kworker's name carries the work queue it last ran, which changes between reads.
        if (!stat.name.startsWith("kworker/")) assert.equal(stat.name, statusField(status, "Name"));
        const resident = parseStatmResident(readFixture(`${root}/proc/${pid}/statm`));
        if (stat.state !== statusField(status, "State")[0]) disagree.state++;
        if (stat.threads !== Number(statusField(status, "Threads"))) disagree.threads++;
        const vmRss = /^VmRSS:\s*(\d+) kB$/m.exec(status);
        // Kernel threads and zombies have no memory map: no VmRSS line, statm all zeros.
        if (resident * pageKb !== (vmRss ? Number(vmRss[1]) : 0)) disagree.resident++;
        // stat's rss comes from per-CPU counters: off by at most one batch (32) per core.
        if (Math.abs(stat.rssPages - resident) > 32 * cores) disagree.rss++;
      }
      for (const [field, count] of Object.entries(disagree)) {
        assert.ok(count <= pids.length / 10, `${field} disagrees for ${count} of ${pids.length}`);
      }
    });

    Deno.test(`parsePidIo() reads storage bytes on ${root}`, () => {
      let withIo = 0;
      for (const pid of capturedPids(root)) {
        let text: string;
        try {
          text = readFixture(`${root}/proc/${pid}/io`);
        } catch {
          continue; // not readable even by root (pid 1 of the sandbox), or exited
        }
        withIo++;
        const expected = Object.fromEntries(
          text.trim().split("\n").map((line) => line.split(": ")).map(([k, v]) => [k, Number(v)]),
        );
        assert.deepEqual(parsePidIo(text), {
          readBytes: expected.read_bytes,
          writeBytes: expected.write_bytes,
        });
      }
      assert.ok(withIo > 40);
    });
  }

  Deno.test(`parseAuxv() and parseBootTime() read ${kernel}`, () => {
    const auxv = parseAuxv(Deno.readFileSync(fixture(`${kernel}/t0/proc/self/auxv`)));
    assert.deepEqual(auxv, { pageSize: 4096, clockTicks: 100 });
    const bootTime = parseBootTime(readFixture(`${kernel}/t0/proc/stat`));
    assert.ok(bootTime > 1_600_000_000 && Number.isInteger(bootTime));
  });
}

Deno.test("parsePidStat() takes comm up to the last parenthesis", () => {
  const real = readFixture("procs-6.18/t0/proc/1/stat");
  const odd = real.replace(/\(.*\)/, "(a) (b c) d)");
  const stat = parsePidStat(odd);
  assert.equal(stat.name, "a) (b c) d");
  assert.deepEqual({ ...stat, name: "" }, { ...parsePidStat(real), name: "" });
});

Deno.test("parsePidStat() refuses cut-off and garbled lines with the reason", () => {
  const real = readFixture("procs-6.1/t0/proc/1/stat");
  assert.throws(() => parsePidStat(real.slice(0, 60)), {
    name: "RangeError",
    message: /fields, expected at least 24/,
  });
  assert.throws(() => parsePidStat(real.replace(/\(.*\)/, "init")), /no \(comm\)/);
  assert.throws(() => parsePidStat(real.replace(") S ", ") SS ")), /state "SS"/);
  const fields = real.split(" ");
  fields[13] = "x1";
  assert.throws(() => parsePidStat(fields.join(" ")), /field 14 is not a number/);
  assert.throws(() => parsePidStat(""), RangeError);
});

Deno.test("parsePidIo() and parseStatmResident() refuse what is not theirs", () => {
  assert.throws(() => parsePidIo("rchar: 1\nwchar: 2\n"), /no read_bytes/);
  const io = readFixture("procs-6.1/t0/proc/1/io");
  assert.throws(() => parsePidIo(io.replace(/\nwrite_bytes: \d+/, "\nwrite_bytes: -")), /is "-"/);
  // cancelled_write_bytes must not be mistaken for write_bytes
  assert.throws(() => parsePidIo(io.replace("\nwrite_bytes", "\nxwrite_bytes")), /write_bytes/);
  assert.throws(() => parseStatmResident("123"), RangeError);
  assert.equal(parseStatmResident("11923 3656 1729 1421 0 9955 0\n"), 3656);
});

Deno.test("parseCmdline() joins arguments, cuts long ones, and has none for kernel threads", () => {
  const writer = readFixture("procs-6.1/t0/proc/170/cmdline");
  assert.equal(
    parseCmdline(writer, 256),
    "sh -c while :; do dd if=/dev/zero of='/mnt/data/sink' bs=1M count=4 conv=fsync 2> /dev/null; done",
  );
  assert.equal(parseCmdline(writer, 5), "sh -c");
  assert.equal(parseCmdline("", 256), undefined);
  assert.equal(parseCmdline("\0\0", 256), undefined);
});

Deno.test("parseAuxv() needs both the page size and the clock ticks", () => {
  const real = Deno.readFileSync(fixture("procs-6.18/t0/proc/self/auxv"));
  assert.throws(() => parseAuxv(real.slice(0, 16)), /page size and clock ticks/);
  assert.throws(() => parseAuxv(new Uint8Array(0)), RangeError);
  assert.throws(() => parseBootTime("cpu 1 2 3\n"), /no btime/);
});
