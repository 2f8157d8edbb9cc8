/** Test helper: runs one rule through the harness (the same path policy:check takes). */
import type { HarnessResource, Violation } from "../../policies/harness/evaluate.ts";
import { evaluatePolicies } from "../../policies/harness/evaluate.ts";
import type { KeyfleetPolicy } from "../../policies/lib/rule.ts";

/** Violations of `policy` on `resources` with pack config `config` (default {}). */
export function violationsOf(
  policy: KeyfleetPolicy,
  resources: readonly HarnessResource[],
  config: Record<string, unknown> = {},
): Promise<Violation[]> {
  return evaluatePolicies(resources, {
    policies: [policy],
    packEnforcementLevel: "mandatory",
    config: { [policy.name]: config },
  });
}

/** Just the messages. */
export async function messagesOf(
  policy: KeyfleetPolicy,
  resources: readonly HarnessResource[],
  config: Record<string, unknown> = {},
): Promise<string[]> {
  return (await violationsOf(policy, resources, config)).map((v) => v.message);
}
