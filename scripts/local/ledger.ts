/**
 * The proving ground's process ledger: every start is recorded in the state directory at once, so a ground whose
 * env file was lost can still be stopped before the directory is reused.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isAlive, stopProcess, type Started } from "./processes.ts";

/** File in the state directory listing every process started for a ground, written as each one starts. */
export const LEDGER_FILE = "processes.json";

/** True when `pid` runs a command line that mentions `stateDir` (guards against a recycled pid). */
function belongsTo(pid: number, stateDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(stateDir);
  } catch {
    return false;
  }
}

/**
 * Stops processes of an earlier ground in `stateDir` that are still alive — from its ledger and its env file —
 * before the directory is reused. Returns how many were stopped.
 */
export async function stopLeftovers(stateDir: string, envFile: string): Promise<number> {
  const recorded: Started[] = [];
  for (const file of [path.join(stateDir, LEDGER_FILE), envFile]) {
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as Started[] | { processes?: Started[] };
      recorded.push(...(Array.isArray(parsed) ? parsed : (parsed.processes ?? [])));
    } catch {
      // no such file
    }
  }
  const alive = [...new Map(recorded.map((p) => [p.pid, p])).values()].filter(
    (p) => isAlive(p.pid) && belongsTo(p.pid, stateDir),
  );
  for (const p of alive.reverse()) await stopProcess(p.pid);
  return alive.length;
}
