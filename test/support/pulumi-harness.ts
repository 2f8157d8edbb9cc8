/**
 * Test harness for component tests: installs deterministic mocks (the same ones synth uses), records every
 * registration, and waits for the runtime to settle. Import it dynamically *before* the component under test.
 */
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { synthMocks, type CallOverrides } from "../../stacks/synth/mocks.ts";
import { recordRegistrations, type Json, type Registration } from "../../stacks/synth/recorder.ts";

const settings = createRequire(import.meta.url)("@pulumi/pulumi/runtime/settings.js") as {
  waitForRPCs(): Promise<void>;
};

/** Subscription used by component tests. */
export const TEST_SUBSCRIPTION = "66666666-7777-8888-9999-000000000000";
/** Tenant used by component tests. */
export const TEST_TENANT = "11111111-2222-3333-4444-555555555555";

/** A recording of one test's registrations. */
export interface Harness {
  registrations: Registration[];
  /** Waits until every outstanding registration has been served. */
  settle(): Promise<void>;
  /** Registrations of a type token. */
  ofType(type: string): Registration[];
  /** The one registration of a type and name (throws otherwise). */
  one(type: string, name: string): Registration;
}

/** Installs mocks and a recorder. */
export async function harness(calls: CallOverrides = {}): Promise<Harness> {
  await pulumi.runtime.setMocks(synthMocks(TEST_SUBSCRIPTION, calls), "keyfleet", "test", false);
  const registrations: Registration[] = [];
  recordRegistrations((r) => registrations.push(r));
  return {
    registrations,
    settle: async () => {
      await settings.waitForRPCs();
      await new Promise((resolve) => setImmediate(resolve));
    },
    ofType: (type) => registrations.filter((r) => r.type === type),
    one: (type, name) => {
      const found = registrations.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1)
        throw new Error(
          `expected one ${type} ${name}, found ${found.length}: ${registrations.map((r) => r.name).join(", ")}`,
        );
      return found[0]!;
    },
  };
}

/** Resolves an Output (rejecting when its computation threw). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return (output as unknown as { promise(): Promise<T> }).promise();
}

/** Reads a dotted path from recorded inputs. */
export function at(inputs: Json, path: string): Json | undefined {
  let cur: Json | undefined = inputs;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/**
 * Runs `moduleSource` (ESM JavaScript; may import .ts files by absolute URL) in a child Node process and
 * returns its exit code and output. For scenarios whose failure surfaces as an unhandled rejection, as a
 * failed precondition does in a real `pulumi up` — the test runner would otherwise report it as its own.
 */
export async function runIsolated(
  moduleSource: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", moduleSource], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** file:// URL of a module path relative to the repository root, for {@link runIsolated} sources. */
export function repoModule(relative: string): string {
  return new URL(`../../${relative}`, import.meta.url).href;
}
