/**
 * The secret config keys a stack needs (seed-secret values, kubeconfigs) and the error when some are not set. The
 * Pulumi CLI stops at the first missing one (`Missing required configuration variable 'keyfleet:…'`); the program
 * (stacks/index.ts) and synth (stacks/synth/capture.ts) check them all up front instead and print, per key, the
 * command that sets it. Synth never invents a value: it only needs to know that a key is set (the stack file holds
 * it encrypted), since every secret is redacted in what synth shows.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { FLEET_CONFIG_KEY, stackConfigPath, STACKS_DIR } from "./load.ts";
import type { FleetConfig } from "./types.ts";
import { counted } from "../../common/text.ts";

/** Config namespace of every keyfleet key (`keyfleet:<key>`). */
export const CONFIG_NAMESPACE = FLEET_CONFIG_KEY.split(":")[0]!;

/** A secret config key the stack reads, and what for. */
export interface RequiredSecret {
  /** Key without the namespace, e.g. `seedDbPassword`. */
  key: string;
  /** What the value is, e.g. `value of secret "db-password" in vault kf-dev-weu`. */
  purpose: string;
  /** Typed at the prompt (kept out of shell history), or piped from this file (multi-line values: kubeconfigs). */
  from: { prompt: true } | { file: string };
}

/** Every secret config key the fleet reads, in config order, each once (pure). */
export function requiredSecrets(config: FleetConfig): RequiredSecret[] {
  const out = new Map<string, RequiredSecret>();
  for (const v of config.vaults) {
    for (const seed of v.seedSecrets) {
      if ("configKey" in seed && !out.has(seed.configKey)) {
        out.set(seed.configKey, {
          key: seed.configKey,
          purpose: `value of secret "${seed.name}" in vault ${v.name}`,
          from: { prompt: true },
        });
      }
    }
  }
  for (const c of config.clusters) {
    if (c.kubeconfig.from === "config-secret" && !out.has(c.kubeconfig.key)) {
      out.set(c.kubeconfig.key, {
        key: c.kubeconfig.key,
        purpose: `kubeconfig of cluster ${c.name}`,
        from: { file: `${c.name}.kubeconfig` },
      });
    }
  }
  return [...out.values()];
}

/** The command that sets one key, with a note on where the value comes from (pure). */
export function setCommand(stack: string, secret: RequiredSecret): string {
  const base = `pulumi config set --secret --stack ${stack} ${CONFIG_NAMESPACE}:${secret.key}`;
  return "file" in secret.from
    ? `${base} < ${secret.from.file}   # the file holding it`
    : `${base}   # prompts for the value`;
}

/** Thrown when required secret config keys are not set; the message names each key and its command. */
export class MissingSecretConfigError extends Error {
  /** The keys that are not set. */
  readonly missing: RequiredSecret[];
  constructor(stack: string, missing: RequiredSecret[]) {
    const lines = missing.flatMap((m) => [
      `  ${CONFIG_NAMESPACE}:${m.key} — ${m.purpose}`,
      `    ${setCommand(stack, m)}`,
    ]);
    super(
      `stack "${stack}" needs ${counted(missing.length, "secret config value")} that ${missing.length === 1 ? "is" : "are"} not set:\n${lines.join("\n")}`,
    );
    this.name = "MissingSecretConfigError";
    this.missing = missing;
  }
}

/** The keyfleet keys set in a stack file (plain or `secure:`), without the namespace. */
export function configuredKeys(stack: string, dir: string = STACKS_DIR): Set<string> {
  const doc = parse(readFileSync(stackConfigPath(stack, dir), "utf8")) as {
    config?: Record<string, unknown>;
  } | null;
  const prefix = `${CONFIG_NAMESPACE}:`;
  return new Set(
    Object.keys(doc?.config ?? {})
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length)),
  );
}

/** The required secrets not in `isSet` (pure). */
export function missingSecrets(config: FleetConfig, isSet: (key: string) => boolean): RequiredSecret[] {
  return requiredSecrets(config).filter((s) => !isSet(s.key));
}
