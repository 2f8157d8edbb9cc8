/**
 * Which stacks a change touches: a stack's own configuration file (`stacks/Pulumi.<stack>.yaml`) changes only that
 * stack; the program, components, policy pack, sync runtime (its bundle is deployed), the shared vocabulary or the
 * project and package files change every stack; documentation and tests change none. The file list comes from git.
 */
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { promisify } from "node:util";

/** Paths (files or folders ending in "/") whose change affects every stack. */
export const PROGRAM_PATHS = [
  "Pulumi.yaml",
  "package.json",
  "package-lock.json",
  "stacks/",
  "components/",
  "policies/",
  "sync-runtime/",
  "common/",
] as const;

const STACK_FILE = /^stacks\/Pulumi\.([^/]+)\.ya?ml$/;

/** A stack to check and why. */
export interface ChangedStack {
  stack: string;
  /** The changed files that touch it (at most a few, for the report). */
  because: string[];
}

/** The stacks among `stacks` that the changed files touch (pure; paths relative to the repository root). */
export function changedStacks(files: readonly string[], stacks: readonly string[]): ChangedStack[] {
  const because = new Map<string, string[]>(stacks.map((s) => [s, []]));
  for (const file of files) {
    const own = STACK_FILE.exec(file);
    if (own) {
      because.get(own[1]!)?.push(file);
      continue;
    }
    const everyStack = PROGRAM_PATHS.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p));
    if (everyStack) for (const list of because.values()) list.push(file);
  }
  return [...because]
    .filter(([, files]) => files.length > 0)
    .map(([stack, files]) => ({ stack, because: files.slice(0, 5) }));
}

/** The stacks that have a configuration file in `stacksDir`, sorted. */
export function stacksIn(stacksDir: string): string[] {
  return readdirSync(stacksDir)
    .map((f) => /^Pulumi\.([^/]+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Files changed since the merge base with `base`, including uncommitted and untracked ones. */
export async function changedFiles(base: string, cwd: string): Promise<string[]> {
  const git = (args: string[]) => promisify(execFile)("git", args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  try {
    const [diff, untracked] = await Promise.all([
      git(["diff", "--name-only", "--merge-base", base]),
      git(["ls-files", "--others", "--exclude-standard"]),
    ]);
    return [...new Set([...diff.stdout.split("\n"), ...untracked.stdout.split("\n")].filter(Boolean))].sort();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`git cannot compare with base ${JSON.stringify(base)}${stderr ? `: ${stderr}` : ""}`, {
      cause: error,
    });
  }
}
