/**
 * Harness of the GitOps integration test: a throwaway copy of the project (the working tree as it is, tests and
 * uncommitted changes included) as a git repository whose first commit is `main`; pull-request branches that edit
 * the `local` stack's configuration; the keyfleet CLI and the ground's Pulumi engine run in that copy as a pipeline
 * runs them; and the checks that a stopped ground left no process, mount or bridge behind.
 */
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { hostNames, linkExists } from "../../scripts/local/parts/node/network.ts";
import { mountsUnder } from "../../scripts/local/parts/node/sweep.ts";
import { REPO_ROOT } from "../../scripts/local/paths.ts";

/** What one command printed, how it ended and how long it took. */
export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** The `local` stack's fleet configuration, as plain YAML data. */
export type FleetConfig = Record<string, unknown> & {
  engines: { bundled: Record<string, unknown> };
  clusters: Array<{ namespaces: Array<{ name: string; secrets: unknown[] }> }>;
};

/** A copy of the project as a git repository. */
export interface ProjectCopy {
  dir: string;
  git(...args: string[]): string;
  /** Checks out a new branch from `from` whose only commit edits stacks/Pulumi.local.yaml. */
  branch(name: string, from: string, edit: (fleet: FleetConfig) => void): void;
}

/** Copies the working tree's files (tracked and untracked, not ignored) and links node_modules. */
export function copyProject(into: string): ProjectCopy {
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    const from = path.join(REPO_ROOT, file);
    if (!existsSync(from)) continue; // deleted in the working tree
    mkdirSync(path.dirname(path.join(into, file)), { recursive: true });
    copyFileSync(from, path.join(into, file)); // keeps the mode: policies/keyfleet-analyzer stays executable
  }
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(into, "node_modules"));
  const git = (...args: string[]) =>
    execFileSync(
      "git",
      [
        "-c",
        "user.name=keyfleet-test",
        "-c",
        "user.email=test@keyfleet.invalid",
        "-c",
        "commit.gpgsign=false",
        ...args,
      ],
      { cwd: into, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "base");
  const stackFile = path.join(into, "stacks", "Pulumi.local.yaml");
  return {
    dir: into,
    git,
    branch(name, from, edit) {
      git("checkout", "-q", "-B", name, from);
      const doc = parse(readFileSync(stackFile, "utf8")) as { config: Record<string, unknown> };
      edit(doc.config["keyfleet:fleet"] as FleetConfig);
      writeFileSync(stackFile, stringify(doc));
      git("commit", "-q", "-am", `pull request: ${name}`);
    },
  };
}

/** Runs a command in `cwd` with the project's pinned Node first on PATH and `env` added. */
export function runIn(
  cwd: string,
  command: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<CommandRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...process.env,
        PATH: [path.join(cwd, "node_modules", ".bin"), process.env.PATH ?? "/usr/bin:/bin"].join(
          path.delimiter,
        ),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code: code ?? 1, stdout, stderr, seconds: (Date.now() - started) / 1000 }),
    );
  });
}

/** How the pipeline runs Pulumi on the proving ground (the README's form). */
export const GROUND_PULUMI = "npm run --silent local:pulumi --";

/** `keyfleet <args>` in the copy, against the ground described by `envFile`. */
export function keyfleet(copy: ProjectCopy, envFile: string, args: readonly string[]): Promise<CommandRun> {
  return runIn(copy.dir, process.execPath, [path.join(copy.dir, "bin", "keyfleet.js"), ...args], {
    KEYFLEET_LOCAL_ENV: envFile,
    KEYFLEET_PULUMI: GROUND_PULUMI,
  });
}

/** The ground's `pulumi <args>` in the copy (`npm run local:pulumi`). */
export function groundPulumi(
  copy: ProjectCopy,
  envFile: string,
  args: readonly string[],
): Promise<CommandRun> {
  return runIn(copy.dir, "npm", ["run", "--silent", "local:pulumi", "--", ...args], {
    KEYFLEET_LOCAL_ENV: envFile,
  });
}

/** What a stopped ground left on the host: processes naming its folder, mounts under it, its bridge. */
export function leftovers(stateDir: string): { processes: string[]; mounts: string[]; bridge?: string } {
  const processes = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes(stateDir) && !line.includes("ps -eo"));
  const mounts = mountsUnder(readFileSync("/proc/self/mountinfo", "utf8"), stateDir);
  const { bridge } = hostNames(stateDir);
  return { processes, mounts, ...(linkExists(bridge) ? { bridge } : {}) };
}
