/**
 * One real preview of a stack through the injected runner: `pulumi preview --json --show-sames` with the policy
 * pack and its config for that stack (`policies/config.<stack>.json` when present), streamed as engine events
 * (`PULUMI_ENABLE_STREAMING_JSON_PREVIEW`) so the steps and the policy violations come from one run. Also the
 * settings the judgement takes from that pack config (the jitter rule's vault limit, risk and add-on mounts), so
 * the burst uses the numbers the rules use.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { normalisePackConfig } from "../harness/config.ts";
import { configWithDefaults } from "../lib/config.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { jitterSufficient, type JitterConfig } from "../rules/jitter-sufficient.ts";
import {
  digestFromEngineEvents,
  isEngineEventStream,
  type EngineEventDigest,
} from "../rollout/engine-events.ts";
import { changeSetFromPreview, parsePreviewJson, type PreviewDigest } from "../rollout/from-preview.ts";
import type { StackPreview } from "./report.ts";
import { PulumiRunError, type PulumiRunner } from "./runner.ts";
import { violationsFromPolicyEvents } from "./violations.ts";

/** Where the pack and its per-stack config live. */
export interface PackLocation {
  /** The policy pack folder (default `policies`). */
  packDir: string;
  /** One pack config for every stack, instead of `<packDir>/config.<stack>.json`. */
  configFile?: string;
}

/**
 * The pack config file of a stack, when there is one: the given file, else `config.<stack>.json` in the pack's
 * folder (the folder itself, or the folder of an analyzer executable such as `policies/keyfleet-analyzer`).
 */
export function packConfigFile(pack: PackLocation, stack: string): string | undefined {
  if (pack.configFile) return pack.configFile;
  const folder =
    existsSync(pack.packDir) && statSync(pack.packDir).isFile() ? path.dirname(pack.packDir) : pack.packDir;
  const file = path.join(folder, `config.${stack}.json`);
  return existsSync(file) ? file : undefined;
}

/** The jitter rule's settings for a stack (schema defaults where the pack config is silent), validated. */
export function judgeSettings(
  pack: PackLocation,
  stack: string,
  policies: readonly KeyfleetPolicy[],
): JitterConfig {
  const file = packConfigFile(pack, stack);
  const raw = file ? (JSON.parse(readFileSync(file, "utf8")) as unknown) : undefined;
  const given = normalisePackConfig(raw, policies).get(jitterSufficient.name)?.properties ?? {};
  return configWithDefaults<JitterConfig>(jitterSufficient.configSchema!, given);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** A diagnostic's message without colour codes, trimmed. */
export function plainMessage(message: string | undefined): string {
  return (message ?? "").replace(ANSI, "").trim();
}

/** Error diagnostics of a digest, colour codes removed, one line each. */
export function previewErrors(digest: PreviewDigest): string[] {
  return (digest.diagnostics ?? [])
    .filter((d) => d.severity === "error")
    .map((d) => plainMessage(d.message))
    .filter(Boolean);
}

/** The engine's closing error line of a preview that failed, with nothing more to say. */
export const BARE_PREVIEW_FAILED = /^(error: )?preview failed$/i;

/** The engine's own switch for streaming `--json` output as engine events. */
export const STREAMING_JSON = { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" } as const;

/** The digest, policy events and refreshed outputs of `pulumi preview --json` output, streamed or not. */
export function parsePreviewOutput(text: string): EngineEventDigest {
  return isEngineEventStream(text)
    ? digestFromEngineEvents(text)
    : { digest: parsePreviewJson(text), policyEvents: [], refreshedOutputs: new Map() };
}

/** Runs the preview of `stack` with the pack and returns its change set, violations and errors. */
export async function previewStack(
  runner: PulumiRunner,
  stack: string,
  pack: PackLocation,
  policies: readonly KeyfleetPolicy[],
): Promise<StackPreview> {
  const config = packConfigFile(pack, stack);
  const result = await runner.run(
    [
      "preview",
      "--stack",
      stack,
      "--json",
      "--show-sames",
      "--non-interactive",
      "--policy-pack",
      pack.packDir,
      ...(config ? ["--policy-pack-config", config] : []),
    ],
    STREAMING_JSON,
  );
  let parsed: ReturnType<typeof parsePreviewOutput>;
  try {
    parsed = parsePreviewOutput(result.stdout);
  } catch (error) {
    throw new PulumiRunError(
      `pulumi preview of stack ${stack} printed no preview (${(error as Error).message})`,
      result,
    );
  }
  if (result.code !== 0 && parsed.digest.steps?.length === 0 && parsed.policyEvents.length === 0) {
    // The engine stopped before the program ran (no stack, a plugin or pack that would not start): its reason is
    // on stderr.
    throw new PulumiRunError(`pulumi preview of stack ${stack} failed`, result);
  }
  const violations = violationsFromPolicyEvents(parsed.policyEvents, policies);
  const mandatory = violations.some((v) => v.enforcementLevel === "mandatory");
  // A mandatory violation stops the preview, and the engine then adds its own bare "preview failed" error: the
  // violation is the reason, so that line is not a second failure (checked with 3.276).
  const errors = previewErrors(parsed.digest).filter((e) => !(mandatory && BARE_PREVIEW_FAILED.test(e)));
  if (result.code !== 0 && errors.length === 0 && !mandatory) {
    errors.push(`pulumi preview exited with ${result.code}`);
  }
  return { stack, changes: changeSetFromPreview(stack, parsed.digest), violations, errors };
}
