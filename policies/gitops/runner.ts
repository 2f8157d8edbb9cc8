/**
 * How keyfleet runs the Pulumi CLI: an injected runner (a command line and its environment), so the same commands
 * run the repository's `npm run --silent local:pulumi --` environment on the proving ground, a user's `pulumi` on
 * PATH in a pipeline, or a fake in unit tests. `--pulumi "<command line>"` or `KEYFLEET_PULUMI` choose it.
 */
import { spawn } from "node:child_process";

/** What one Pulumi invocation produced. */
export interface PulumiResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pulumi <args>`. */
export interface PulumiRunner {
  /** For messages: the command line used. */
  readonly description: string;
  /** Resolves with the exit code and output; rejects only when the command cannot start. `env` is added. */
  run(args: readonly string[], env?: Record<string, string>): Promise<PulumiResult>;
}

/** The Pulumi command failed in a way the caller cannot read past; the message ends with its stderr's tail. */
export class PulumiRunError extends Error {
  readonly result: PulumiResult;
  constructor(message: string, result: PulumiResult, options?: ErrorOptions) {
    super(`${message} (exit ${result.code})${tail(result.stderr)}`, options);
    this.name = "PulumiRunError";
    this.result = result;
  }
}

function tail(stderr: string): string {
  const lines = stderr.trim().split("\n").filter(Boolean).slice(-8);
  return lines.length > 0 ? `:\n  ${lines.join("\n  ")}` : "";
}

/** Splits a command line on whitespace (quotes are not interpreted: pass a wrapper script for anything fancier). */
export function splitCommandLine(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean);
}

/** Default command line: `KEYFLEET_PULUMI`, else `pulumi` on PATH. */
export function defaultPulumiCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.KEYFLEET_PULUMI?.trim() || "pulumi";
}

/** A runner that spawns `command` (first word) with the rest of its words and then `args`, in `cwd`. */
export function commandRunner(
  commandLine: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): PulumiRunner {
  const [command, ...prefix] = splitCommandLine(commandLine);
  if (!command) throw new Error("the Pulumi command line is empty");
  return {
    description: commandLine.trim(),
    run: (args, env) =>
      new Promise((resolve, reject) => {
        const child = spawn(command, [...prefix, ...args], {
          cwd: options.cwd,
          env: { ...(options.env ?? process.env), PULUMI_SKIP_UPDATE_CHECK: "true", ...env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
        child.on("error", (error) =>
          reject(new Error(`cannot run ${JSON.stringify(commandLine)}: ${error.message}`, { cause: error })),
        );
        child.on("close", (code, signal) =>
          resolve({
            code: code ?? (signal ? 128 : 1),
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8"),
          }),
        );
      }),
  };
}
