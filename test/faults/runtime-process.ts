/**
 * The sync runtime as its own process for the fault suite (test infrastructure): `bin/keyfleet.js run`, exactly
 * the CLI a user runs, with its output appended to a log file (the secrecy sweep reads it). It can be killed with
 * SIGKILL mid-work and started again with the same flags.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { openSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

const CLI = path.resolve(import.meta.dirname, "../../bin/keyfleet.js");

/** A free loopback port (for the runtime's metrics and health servers). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** A runtime process that can be started, killed and started again. */
export class RuntimeProcess {
  readonly metricsPort: number;
  readonly healthPort: number;
  private readonly args: string[];
  private readonly logFile: string;
  private child: ChildProcess | undefined;

  /**
   * @param flags `keyfleet run` flags (without --metrics-port/--health-port, which are chosen here).
   * @param logFile where stdout and stderr are appended.
   */
  constructor(flags: string[], logFile: string, ports: { metrics: number; health: number }) {
    this.metricsPort = ports.metrics;
    this.healthPort = ports.health;
    this.logFile = logFile;
    this.args = [CLI, "run", ...flags, `--metrics-port=${ports.metrics}`, `--health-port=${ports.health}`];
  }

  /** Starts the process and waits until it reports ready (its caches are synced). */
  async start(timeoutMs = 60_000): Promise<void> {
    const fd = openSync(this.logFile, "a");
    try {
      this.child = spawn(process.execPath, this.args, { stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`the runtime exited with ${this.child.exitCode}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.healthPort}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("the runtime did not become ready");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Sends a signal and waits for the exit. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill(signal);
    await exited;
  }

  /** The /metrics text (empty when the process does not answer). */
  async metrics(): Promise<string> {
    try {
      return await (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
    } catch {
      return "";
    }
  }
}
