/**
 * CrossGuard on the local stack, judged two ways for comparison: by the real engine (a streamed `pulumi preview
 * --json` with the pack as the analyzer executable) and by `pulumi.runtime.setMocks` (the graph captured offline and
 * evaluated as `npm run policy:check` does). Both give sorted `policy|resource name` strings. Stack variants are
 * copies of the local stack's configuration with one change.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { evaluatePolicies } from "../../policies/harness/evaluate.ts";
import { nameOfUrn } from "../../policies/rollout/changeset.ts";
import { digestFromEngineEvents } from "../../policies/rollout/engine-events.ts";
import { keyfleetPolicies, PACK_ENFORCEMENT_LEVEL } from "../../policies/pack.ts";
import type { LocalEnvironment } from "../../scripts/local/env.ts";
import { REPO_ROOT } from "../../scripts/local/paths.ts";
import { runPulumi } from "../../scripts/local/pulumi-run.ts";
import { stackConfigPath } from "../../stacks/config/load.ts";
import { localInputsFrom } from "../../stacks/runtime-inputs.ts";
import { captureStack } from "../../stacks/synth/capture.ts";

/** The local stack's pack configuration. */
export const POLICY_CONFIG = path.join(REPO_ROOT, "policies", "config.local.json");
/** The pack as the executable the ground's language host runs (an absolute path: a relative one is not found). */
export const ANALYZER = path.join(REPO_ROOT, "policies", "keyfleet-analyzer");

/** A copy of the local stack's configuration with one change: a file for `--config-file`, a stacks folder for mocks. */
export function variantStack(
  work: string,
  name: string,
  change: (fleetConfig: Record<string, unknown>) => void,
): { configFile: string; stacksDir: string } {
  const doc = parse(readFileSync(stackConfigPath("local"), "utf8")) as { config: Record<string, unknown> };
  change(doc.config["keyfleet:fleet"] as Record<string, unknown>);
  const stacksDir = path.join(work, name);
  mkdirSync(stacksDir, { recursive: true });
  const configFile = path.join(stacksDir, "Pulumi.local.yaml");
  writeFileSync(configFile, stringify(doc));
  return { configFile, stacksDir };
}

/**
 * A rule the engine could not run because a value it reads is not known before the update (e.g. the client id of an
 * identity not created yet): Pulumi's policy SDK reports it as an advisory notice and the rule runs again, with the
 * values, during `up`. Not a violation.
 */
const NOT_JUDGED_IN_PREVIEW = /^can't run policy '[^']+' from policy pack '[^']+' during preview: /;

/** Violations the real engine reported in its streamed events: sorted `policy|resource name` strings. */
export function engineViolations(stream: string): string[] {
  const { policyEvents } = digestFromEngineEvents(stream);
  return [
    ...new Set(
      policyEvents
        .filter((p) => p.enforcementLevel !== "remediate" && !NOT_JUDGED_IN_PREVIEW.test(p.message ?? ""))
        .map((p) => `${p.policyName}|${p.resourceUrn ? nameOfUrn(p.resourceUrn) : "stack"}`),
    ),
  ].sort();
}

/** `pulumi preview --json` streaming engine events (the only form that carries policy events). */
export function policyPreview(env: LocalEnvironment, extra: string[], policyConfig = POLICY_CONFIG) {
  return runPulumi(
    env,
    [
      "preview",
      "--stack",
      "local",
      "--non-interactive",
      "--json",
      "--policy-pack",
      ANALYZER,
      "--policy-pack-config",
      policyConfig,
      ...extra,
    ],
    { env: { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" } },
  );
}

/** Violations of the same pack under mocks, for the stack in `stacksDir` (default: the repository's). */
export async function mockViolations(
  env: LocalEnvironment,
  stacksDir?: string,
  policyConfig = POLICY_CONFIG,
): Promise<string[]> {
  const resources = await captureStack("local", {
    local: localInputsFrom(env),
    runtimeBundle: "stub",
    stacksDir,
  });
  const violations = await evaluatePolicies(resources, {
    policies: keyfleetPolicies,
    packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
    config: JSON.parse(readFileSync(policyConfig, "utf8")),
  });
  return [...new Set(violations.map((v) => `${v.policyName}|${v.resourceName ?? "stack"}`))].sort();
}
