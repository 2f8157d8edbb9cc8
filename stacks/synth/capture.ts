/**
 * CONTRACT used by policies/ (CrossGuard rules evaluated without the CLI) and by scripts/synth.ts:
 * `captureStack(stack)` runs the real program under `pulumi.runtime.setMocks` (no CLI, no Azure) and returns
 * every registered resource as {@link CapturedResource}, sorted by URN. Secret inputs are replaced by
 * {@link REDACTED} and their paths listed in `secretPaths`.
 *
 * Process-global state: Pulumi's runtime keeps one monitor and one root stack per process. captureStack may be
 * called several times in one process *sequentially* (each call installs fresh mocks and a fresh root stack, and
 * waits for every outstanding registration before returning; proven by capture.test.ts). Never run two
 * captures concurrently; for full isolation use {@link captureStackInChildProcess}.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { withoutUndefined } from "../../common/objects.ts";
import type { CrdManifest } from "../../components/sync-runtime/index.ts";
import { loadFleetConfig, stackConfigPath } from "../config/load.ts";
import { configuredKeys, MissingSecretConfigError, missingSecrets } from "../config/secrets.ts";
import type { FleetConfig } from "../config/types.ts";
import { defineFleet, needsLocalInputs, type LocalInputs } from "../program.ts";
import {
  buildRuntimeBundle,
  loadRuntimeCrds,
  PLACEHOLDER_LOCAL_INPUTS,
  RUNTIME_ENTRY,
  STUB_BUNDLE,
} from "../runtime-inputs.ts";
import { synthMocks, type CallOverrides } from "./mocks.ts";
import { recordRegistrations, redactValue, type Json } from "./recorder.ts";

export { REDACTED, UNKNOWN, redactValue, type Json } from "./recorder.ts";

/** One registered resource. */
export interface CapturedResource {
  /** Type token, e.g. `azure-native:keyvault:Vault`, `keyfleet:index:KeyVault`. */
  type: string;
  /** Pulumi logical name. */
  name: string;
  urn: string;
  /** Parent URN (absent only for the root stack). */
  parent?: string;
  /** True for provider-managed (custom) resources, false for components and the stack. */
  custom: boolean;
  /** Inputs as plain JSON; secrets replaced by {@link REDACTED}, resource references as `{ "$ref": urn }`. */
  inputs: { [key: string]: Json };
  /** Dotted paths (array indexes in brackets) of inputs that were secrets, e.g. `properties.value`. */
  secretPaths: string[];
  /** URN of the explicit provider, when one was given. */
  provider?: string;
  /** URNs this resource explicitly depends on (dependsOn + input dependencies), sorted. */
  dependsOn: string[];
}

/** Options of {@link captureStack}. */
export interface CaptureOptions {
  /** Use this config instead of reading `stacks/Pulumi.<stack>.yaml`. */
  config?: FleetConfig;
  /** Local proving-ground inputs. Default {@link PLACEHOLDER_LOCAL_INPUTS} (synth needs no running ground). */
  local?: LocalInputs;
  /** Runtime bundle: "stub" (tiny string), "build" (esbuild), a function, or default "auto" (build when sync-runtime/main.ts exists). */
  runtimeBundle?: "auto" | "stub" | "build" | (() => string);
  /** CRDs for bundled clusters. Default: `keyfleetCrds()` (or [] while that module is missing). */
  crds?: CrdManifest[];
  /** Invoke results to override (e.g. an existing AKS cluster without the add-on). */
  calls?: CallOverrides;
  /**
   * Values of secret config keys (`undefined` = not set), e.g. a test's own config. Default: a key counts as set
   * when the stack file has it (plain or `secure:`, as `pulumi config set --secret` writes it); synth never reads
   * or decrypts the value (every secret is redacted in what it returns), so a set key gets a fixed stand-in.
   */
  secretConfig?: (key: string) => string | undefined;
  /**
   * Capture even when required secret keys are not set (their keys are returned in `missingSecrets`). Default
   * false: a missing key fails with {@link MissingSecretConfigError}, naming each key and its `pulumi config set`.
   */
  allowMissingSecrets?: boolean;
  /** Directory of the stack files. Default stacks/. */
  stacksDir?: string;
}

/** Everything a capture produced. */
export interface CaptureResult {
  resources: CapturedResource[];
  /** Stack outputs, resolved to plain JSON. */
  outputs: { [key: string]: Json };
  /** Required secret config keys that were not set (only with `allowMissingSecrets`). */
  missingSecrets: string[];
}

/** What a set secret key reads as under synth: the value itself stays in the stack file, encrypted. */
export const SET_SECRET_STAND_IN = "(set in the stack config; synth does not read it)";

const settings = createRequire(import.meta.url)("@pulumi/pulumi/runtime/settings.js") as {
  waitForRPCs(): Promise<void>;
};

let running = false;

function chooseBundle(choice: CaptureOptions["runtimeBundle"]): () => string {
  if (typeof choice === "function") return choice;
  if (choice === "stub") return () => STUB_BUNDLE;
  if (choice === "build") return () => buildRuntimeBundle();
  return () => (existsSync(RUNTIME_ENTRY) ? buildRuntimeBundle() : STUB_BUNDLE);
}

/** Runs the program for a stack under mocks and returns resources and outputs. See the file note on reuse. */
export async function captureStackDetailed(
  stackName: string,
  opts: CaptureOptions = {},
): Promise<CaptureResult> {
  if (running)
    throw new Error("captureStack is already running in this process; captures must run one after another");
  // Validation happens here, before any resource exists.
  const config = opts.config ?? loadFleetConfig(stackName, opts.stacksDir);
  const crds = opts.crds ?? (await loadRuntimeCrds());
  const secretValue = secretSource(stackName, opts);
  const missing = missingSecrets(config, (key) => secretValue(key) !== undefined);
  if (missing.length > 0 && !opts.allowMissingSecrets) throw new MissingSecretConfigError(stackName, missing);
  running = true;
  const recorded: CapturedResource[] = [];
  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    await pulumi.runtime.setMocks(
      synthMocks(config.azure?.subscriptionId ?? "00000000-0000-0000-0000-000000000000", opts.calls),
      "keyfleet",
      stackName,
      false,
    );
    recordRegistrations((r) =>
      recorded.push(
        withoutUndefined({
          type: r.type,
          name: r.name,
          urn: mockUrn(stackName, r.parent, r.type, r.name),
          parent: r.parent || undefined,
          custom: r.custom,
          inputs: r.inputs,
          secretPaths: r.secretPaths,
          provider: r.provider ? r.provider.split("::").slice(0, -1).join("::") : undefined,
          dependsOn: r.dependencies,
        }),
      ),
    );
    const outputs = await pulumi.runtime.runInPulumiStack(async () =>
      defineFleet({
        config,
        secretConfig: (key) => pulumi.secret(secretValue(key) ?? SET_SECRET_STAND_IN),
        local: needsLocalInputs(config) ? (opts.local ?? PLACEHOLDER_LOCAL_INPUTS) : undefined,
        runtimeBundle: chooseBundle(opts.runtimeBundle),
        crds,
      }),
    );
    await settings.waitForRPCs();
    // Let rejections raised by the last callbacks reach the handler.
    await new Promise((resolve) => setImmediate(resolve));
    if (failures.length > 0)
      throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));
    return {
      resources: recorded.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0)),
      outputs: redactValue(outputs ?? {}, "", []) as { [key: string]: Json },
      missingSecrets: missing.map((m) => m.key),
    };
  } finally {
    process.off("unhandledRejection", onRejection);
    running = false;
  }
}

/** Where secret values come from: the caller's function, or the keys set in the stack file (values not read). */
function secretSource(stack: string, opts: CaptureOptions): (key: string) => string | undefined {
  if (opts.secretConfig) return opts.secretConfig;
  const file = stackConfigPath(stack, opts.stacksDir);
  const keys = existsSync(file) ? configuredKeys(stack, opts.stacksDir) : new Set<string>();
  return (key) => (keys.has(key) ? SET_SECRET_STAND_IN : undefined);
}

/** Runs the program for a stack under mocks; returns the resources sorted by URN. */
export async function captureStack(
  stackName: string,
  opts: CaptureOptions = {},
): Promise<CapturedResource[]> {
  return (await captureStackDetailed(stackName, opts)).resources;
}

/** URN as the mock monitor forms it (parent type chain + type, then name). */
function mockUrn(stack: string, parent: string, type: string, name: string): string {
  let qualified = type;
  if (parent) qualified = `${parent.split("::")[2]!.split("$").pop()}$${type}`;
  return `urn:pulumi:${stack}::keyfleet::${qualified}::${name}`;
}

/**
 * Runs `scripts/synth.ts --stack <name> --json` in a child Node process (full isolation of Pulumi's global
 * state; options are limited to what the CLI accepts). Returns the same resources as {@link captureStack}.
 */
export async function captureStackInChildProcess(
  stackName: string,
  args: string[] = [],
): Promise<CaptureResult> {
  const root = path.resolve(import.meta.dirname, "../..");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(root, "scripts", "synth.ts"), "--stack", stackName, "--json", ...args],
    {
      cwd: root,
      maxBuffer: 1024 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as CaptureResult;
}
