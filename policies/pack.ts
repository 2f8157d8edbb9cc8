/**
 * The keyfleet policy pack's rules as plain objects. Importing this module starts nothing (constructing a
 * `PolicyPack` would start its gRPC server), so tests and `npm run policy:check` evaluate exactly these objects;
 * `index.ts` only registers them with CrossGuard.
 */
import type { EnforcementLevel } from "@pulumi/policy";
import type { KeyfleetPolicy } from "./lib/rule.ts";
import { federatedCredential } from "./rules/federated-credential.ts";
import { jitterSufficient } from "./rules/jitter-sufficient.ts";
import { leastPrivilegeRole } from "./rules/least-privilege-role.ts";
import { oneEnginePerCluster } from "./rules/one-engine-per-cluster.ts";
import { pollIntervalBounds } from "./rules/poll-interval-bounds.ts";
import { rotationEnabled } from "./rules/rotation-enabled.ts";
import { secretValuesMarked } from "./rules/secret-values-marked.ts";
import { vaultHardening } from "./rules/vault-hardening.ts";
import { vaultReadBudget } from "./rules/vault-read-budget.ts";
import { workloadIdentityOnly } from "./rules/workload-identity-only.ts";

/** Pack name (PulumiPolicy.yaml and `--policy-pack` output show it). */
export const PACK_NAME = "keyfleet";
/** Level of any rule that does not set its own. */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

/** Every rule, in the order reports list them. */
export const keyfleetPolicies: readonly KeyfleetPolicy[] = [
  jitterSufficient,
  pollIntervalBounds,
  vaultReadBudget,
  oneEnginePerCluster,
  rotationEnabled,
  leastPrivilegeRole,
  federatedCredential,
  workloadIdentityOnly,
  vaultHardening,
  secretValuesMarked,
];
