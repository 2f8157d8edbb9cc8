/**
 * Pulumi program entry (Pulumi.yaml `main: stacks/`). Reads and validates the stack's fleet configuration once,
 * reads the local proving ground when the stack uses it, and declares the fleet. Outputs: `vaults` (URIs) and
 * `clusters` (engine, poll/jitter, identity client ids, OIDC issuer).
 */
import * as pulumi from "@pulumi/pulumi";
import { readRawFleet, validateFleetConfig } from "./config/load.ts";
import { MissingSecretConfigError, missingSecrets } from "./config/secrets.ts";
import { defineFleet, needsLocalInputs } from "./program.ts";
import { buildRuntimeBundle, loadRuntimeCrds, readLocalInputs } from "./runtime-inputs.ts";

const stack = pulumi.getStack();
const keyfleetConfig = new pulumi.Config("keyfleet");
// The CLI passes the stack file's config (including `pulumi config set` edits); fall back to the file itself.
const raw: unknown = keyfleetConfig.getObject("fleet") ?? readRawFleet(stack);
const config = validateFleetConfig(raw, `stack "${stack}" (stacks/Pulumi.${stack}.yaml)`);
// Every missing secret key at once, each with its command (the CLI alone would stop at the first).
const missing = missingSecrets(config, (key) => keyfleetConfig.getSecret(key) !== undefined);
if (missing.length > 0) throw new pulumi.RunError(new MissingSecretConfigError(stack, missing).message);

const fleet = defineFleet({
  config,
  secretConfig: (key) => keyfleetConfig.requireSecret(key),
  local: needsLocalInputs(config) ? readLocalInputs() : undefined,
  runtimeBundle: () => buildRuntimeBundle(),
  crds: await loadRuntimeCrds(),
});

export const vaults = fleet.vaults;
export const clusters = fleet.clusters;
