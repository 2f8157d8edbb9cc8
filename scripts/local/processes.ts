/**
 * Process plumbing for the proving ground: free loopback ports, detached children with log files, readiness probes
 * described as data (so `local:restart`, running in another process, can start a part again exactly as `local:up`
 * did and check it the same way), and stopping with escalation to SIGKILL.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Asks the kernel for a free port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** TLS material for a probe, as files (the record must survive in JSON). */
export interface ProbeTls {
  caFile: string;
  certFile?: string;
  keyFile?: string;
}

/** How to tell that a started process is ready. Plain data: it is stored in env.json and the ledger. */
export type Probe =
  /** An HTTP(S) GET answering 200 (with the CA, and a client certificate when given). */
  | { kind: "http"; url: string; tls?: ProbeTls }
  /** A line starting with `prefix` written to the log after the start (the stand-in's ready line). */
  | { kind: "log-line"; prefix: string }
  /** A command that exits 0 (e.g. `ctr version` against a socket). */
  | { kind: "exec"; command: string; args: string[] };

/** Everything needed to start one ground process, again and again, the same way. */
export interface ProcessSpec {
  /** Name shown in logs and used by `local:restart` (e.g. `kube-apiserver`). */
  name: string;
  command: string;
  args: string[];
  /** Environment added to the starting process's own (kept small: only what the process needs). */
  env?: Record<string, string>;
  logFile: string;
  probe: Probe;
  /** Seconds to wait for the probe. */
  readySeconds: number;
}

/** A started process: its spec and its pid. */
export interface ProcessRecord extends ProcessSpec {
  pid: number;
}

/** Starts a spec detached from this process (so `local:up` can exit), stdout and stderr appended to its log. */
export function startDetached(spec: ProcessSpec): ProcessRecord {
  const fd = openSync(spec.logFile, "a");
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...process.env, ...spec.env },
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
    child.unref();
    return { ...spec, pid: child.pid };
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts a spec and waits until its probe passes; on failure the process is stopped and the log tail shown.
 * `onStarted` sees the record as soon as the process exists (the ledger writes it then).
 */
export async function launch(
  spec: ProcessSpec,
  onStarted: (record: ProcessRecord) => void = () => {},
): Promise<ProcessRecord> {
  const logOffset = existsSync(spec.logFile) ? statSync(spec.logFile).size : 0;
  const record = startDetached(spec);
  onStarted(record);
  try {
    await waitFor(record, () => probeOnce(spec.probe, spec.logFile, logOffset), spec.readySeconds * 1000);
    return record;
  } catch (error) {
    await stopProcess(record.pid);
    throw error;
  }
}

/** One probe attempt: true when ready, undefined when not yet. */
export async function probeOnce(probe: Probe, logFile: string, logOffset = 0): Promise<true | undefined> {
  switch (probe.kind) {
    case "http": {
      const tls = probe.tls
        ? {
            ca: readFileSync(probe.tls.caFile),
            cert: probe.tls.certFile ? readFileSync(probe.tls.certFile) : undefined,
            key: probe.tls.keyFile ? readFileSync(probe.tls.keyFile) : undefined,
          }
        : undefined;
      if (probe.url.startsWith("https:")) {
        return (await httpsGet(probe.url, tls ?? {})).status === 200 ? true : undefined;
      }
      const res = await fetch(probe.url, { signal: AbortSignal.timeout(2000) });
      return res.ok ? true : undefined;
    }
    case "log-line": {
      const text = readFileSync(logFile).subarray(logOffset).toString("utf8");
      return text.split("\n").some((l) => l.startsWith(probe.prefix)) ? true : undefined;
    }
    case "exec":
      return (await exitCode(probe.command, probe.args)) === 0 ? true : undefined;
  }
}

function exitCode(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "ignore" });
    child.on("error", () => resolve(127));
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/** True while a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A detached child that exited stays a zombie until its parent reaps it; it is not running any more.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Polls `probe` until it returns a value, failing early when the process died and after `timeoutMs` otherwise.
 * The error carries the tail of the process's log.
 */
export async function waitFor<T>(
  started: { name: string; pid: number; logFile: string },
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(started.pid))
      throw new Error(
        `${started.name} exited during start-up; log ${started.logFile}:\n${tail(started.logFile)}`,
      );
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not ready yet
    }
    await sleep(200);
  }
  throw new Error(
    `${started.name} not ready after ${timeoutMs / 1000}s; log ${started.logFile}:\n${tail(started.logFile)}`,
  );
}

/** GETs an https URL with the given TLS material and returns status + body. */
export function httpsGet(
  url: string,
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: tls.ca, cert: tls.cert, key: tls.key, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** Grace period before SIGKILL (kube-apiserver has been seen ignoring SIGTERM for over 30 s). */
export const STOP_GRACE_MS = 10_000;

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. Works on the process group of a detached child. */
export async function stopProcess(pid: number, graceMs = STOP_GRACE_MS): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // the detached child leads its own process group
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  if (!isAlive(pid)) return;
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isAlive(pid)) await sleep(100);
  if (isAlive(pid)) {
    signal("SIGKILL");
    const killDeadline = Date.now() + 5_000;
    while (Date.now() < killDeadline && isAlive(pid)) await sleep(50);
  }
}
