/** Temperatures from the hwmon sensors under /sys/class/hwmon (temp<N>_input, temp<N>_label). */
import type { TempMetrics } from "../../protocol/sample.ts";
import { type Clock, type Collector, monotonicNow, type SampleMetrics } from "./collector.ts";

/** Parses a temp*_input file: millidegrees Celsius. */
export function parseMillidegrees(text: string, path: string): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) {
    throw new RangeError(`Cannot parse ${path}: "${trimmed.slice(0, 40)}" is not millidegrees`);
  }
  return Number(trimmed) / 1000;
}

async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch {
    return undefined;
  }
}

function byNumber(prefix: string) {
  return (a: string, b: string) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length));
}

/** One temperature input found by a scan: where to read it and what to call it. */
export interface TempSensor {
  sensor: string;
  label: string;
  input: string;
}

/** Every temp input under one hwmon directory, in temp-number order, with its labels. */
export async function scanHwmon(dir: string): Promise<TempSensor[]> {
  const sensor = (await readTrimmed(`${dir}/name`)) ?? (await readTrimmed(`${dir}/device/name`)) ??
    dir.slice(dir.lastIndexOf("/") + 1);
  const inputs: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^(temp\d+)_input$/.exec(entry.name);
    if (match) inputs.push(match[1]);
  }
  inputs.sort(byNumber("temp"));
  const sensors: TempSensor[] = [];
  for (const temp of inputs) {
    const label = (await readTrimmed(`${dir}/${temp}_label`)) || temp;
    sensors.push({ sensor, label, input: `${dir}/${temp}_input` });
  }
  return sensors;
}

/** Every temp input under `${sysRoot}/class/hwmon`; empty when there is no such directory. */
export async function scanSensors(sysRoot: string): Promise<TempSensor[]> {
  const root = `${sysRoot}/class/hwmon`;
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (/^hwmon\d+$/.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  names.sort(byNumber("hwmon"));
  const sensors: TempSensor[] = [];
  for (const name of names) sensors.push(...(await scanHwmon(`${root}/${name}`)));
  return sensors;
}

/** Current readings of `sensors`; unreadable inputs and garbage values are skipped. */
export async function readSensors(sensors: TempSensor[]): Promise<TempMetrics[]> {
  const temps: TempMetrics[] = [];
  for (const { sensor, label, input } of sensors) {
    const text = await readTrimmed(input);
    if (text === undefined) continue; // some sensors answer EIO/ENODATA while idle
    const celsius = parseMillidegrees(text, input);
    if (celsius < -273.15 || celsius > 1000) continue; // a sensor reporting garbage
    temps.push({ sensor, label, celsius });
  }
  return temps;
}

/** How often the hwmon directories are listed again (sensors come and go with drivers only). */
export const HWMON_RESCAN_MS = 60_000;

/**
 * Reads the sensors under `${sysRoot}/class/hwmon`, listed (names, labels) at most once per
 * `rescanMs`, read on every call; `temps` is absent when there is no sensor.
 */
export function createTemperatureCollector(
  sysRoot: string,
  rescanMs = HWMON_RESCAN_MS,
  clock: Clock = monotonicNow,
): Collector {
  let sensors: TempSensor[] | undefined;
  let scannedAt = 0;

  async function read(current: TempSensor[]): Promise<SampleMetrics> {
    const temps = await readSensors(current);
    return temps.length > 0 ? { temps } : {};
  }

  async function rescanAndRead(now: number): Promise<SampleMetrics> {
    sensors = await scanSensors(sysRoot);
    scannedAt = now;
    return await read(sensors);
  }

  return {
    name: "temperatures",
    collect(): SampleMetrics | Promise<SampleMetrics> {
      const now = clock();
      if (sensors === undefined || now - scannedAt >= rescanMs) return rescanAndRead(now);
      // Without sensors (most VMs) this answers synchronously: no file read at all.
      return sensors.length === 0 ? {} : read(sensors);
    },
  };
}
