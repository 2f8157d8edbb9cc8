/**
 * Running the proving ground's Pulumi engine from code (the demo, tests, `local:pulumi`): the CLI from env.json, in
 * the repository root, with the ground's environment, on the `local` stack's backend. Output is captured or shown.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import type { LocalEnvironment } from "./env.ts";
import { REPO_ROOT } from "./paths.ts";

/** The result of one CLI run. */
export interface PulumiRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runPulumi}. */
export interface PulumiRunOptions {
  /** Show the CLI's output as it runs instead of only capturing it. Default false. */
  inherit?: boolean;
  /** Extra environment (e.g. KEYFLEET_LOCAL_ENV for the program). */
  env?: Record<string, string>;
}

/** The engine's description, or an error that says how to get one. */
export function pulumiOf(env: LocalEnvironment): NonNullable<LocalEnvironment["pulumi"]> {
  if (!env.pulumi)
    throw new Error(
      "this proving ground runs without the Pulumi engine; start it with `npm run local:up` (without KEYFLEET_LOCAL_PULUMI=0)",
    );
  return env.pulumi;
}

/** Runs the CLI with `args`; resolves with its exit code and output (never rejects for a non-zero exit). */
export function runPulumi(
  env: LocalEnvironment,
  args: readonly string[],
  options: PulumiRunOptions = {},
): Promise<PulumiRun> {
  const engine = pulumiOf(env);
  return new Promise((resolve, reject) => {
    const child = spawn(engine.cli, args, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...engine.env,
        PATH: [...engine.pathPrefix, process.env.PATH ?? "/usr/bin:/bin"].join(path.delimiter),
        KEYFLEET_LOCAL_ENV: env.envFile,
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
      if (options.inherit) process.stdout.write(c);
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      if (options.inherit) process.stderr.write(c);
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Selects the `local` stack in the ground's backend, creating it on first use (the backend lives with the ground). */
export async function selectLocalStack(env: LocalEnvironment): Promise<void> {
  const run = await runPulumi(env, ["stack", "select", "--create", "local", "--non-interactive"]);
  if (run.code !== 0)
    throw new Error(`pulumi stack select --create local failed:\n${run.stderr || run.stdout}`);
}
