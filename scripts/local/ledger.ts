/**
 * The proving ground's process ledger: every start (and restart) is recorded in the state directory at once, with
 * how to start the process again, so a ground whose env file was lost — or whose parts were restarted one by one —
 * can still be stopped completely.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isAlive, stopProcess, type ProcessRecord } from "./processes.ts";

/** File in the state directory listing every process started for a ground, written as each one starts. */
export const LEDGER_FILE = "processes.json";

/** Pure: merges a (re)started record into the ledger: replaces the entry of the same name, else appends. */
export function recordStart(ledger: readonly ProcessRecord[], record: ProcessRecord): ProcessRecord[] {
  const index = ledger.findIndex((p) => p.name === record.name);
  return index < 0 ? [...ledger, record] : ledger.map((p, i) => (i === index ? record : p));
}

/** The ledger of a state directory ([] when missing or unreadable). */
export function readLedger(stateDir: string): ProcessRecord[] {
  try {
    return JSON.parse(readFileSync(path.join(stateDir, LEDGER_FILE), "utf8")) as ProcessRecord[];
  } catch {
    return [];
  }
}

/** Writes the ledger. */
export function writeLedger(stateDir: string, records: readonly ProcessRecord[]): void {
  writeFileSync(path.join(stateDir, LEDGER_FILE), JSON.stringify(records, null, 2));
}

/** True when `pid` runs a command line that mentions `stateDir` (guards against a recycled pid). */
function belongsTo(pid: number, stateDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(stateDir);
  } catch {
    return false;
  }
}

/** Records of a state directory (ledger and env file) whose process still runs. */
export function liveProcesses(stateDir: string, envFile = path.join(stateDir, "env.json")): ProcessRecord[] {
  const recorded: ProcessRecord[] = [...readLedger(stateDir)];
  try {
    recorded.push(
      ...(JSON.parse(readFileSync(envFile, "utf8")) as { processes?: ProcessRecord[] }).processes!,
    );
  } catch {
    // no env file
  }
  return [...new Map(recorded.map((p) => [p.pid, p])).values()].filter(
    (p) => isAlive(p.pid) && belongsTo(p.pid, stateDir),
  );
}

/**
 * Stops processes of a ground in `stateDir` that are still alive — from its ledger and its env file — last started
 * first. Returns how many were stopped.
 */
export async function stopLeftovers(stateDir: string, envFile: string): Promise<number> {
  const alive = liveProcesses(stateDir, envFile);
  for (const p of alive.reverse()) await stopProcess(p.pid);
  return alive.length;
}
