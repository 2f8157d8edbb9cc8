/**
 * Policy violations of a real preview (pure), from the policy events the engine streams (rollout/engine-events.ts);
 * the remediation text comes from the pack's own rule objects.
 */
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { nameOfUrn, typeOfUrn } from "../rollout/changeset.ts";
import type { PolicyEvent } from "../rollout/engine-events.ts";

/** A violation as the report shows it. */
export interface ReportViolation {
  policyName: string;
  policyPack: string;
  /** "mandatory" blocks the change; "advisory" is shown only. */
  enforcementLevel: "mandatory" | "advisory";
  message: string;
  /** What to change (the rule's remediationSteps; empty for rules of other packs). */
  remediation: string;
  urn?: string;
  resourceName?: string;
  resourceType?: string;
}

/** The violations among the engine's policy events, in event order. */
export function violationsFromPolicyEvents(
  events: readonly PolicyEvent[],
  policies: readonly KeyfleetPolicy[],
): ReportViolation[] {
  const byName = new Map(policies.map((p) => [p.name, p]));
  return events
    .filter((p) => p.policyName)
    .map((p) => {
      const rule = byName.get(p.policyName!);
      const level =
        p.enforcementLevel === "mandatory" || p.enforcementLevel === "remediate" ? "mandatory" : "advisory";
      return {
        policyName: p.policyName!,
        policyPack: p.policyPackName ?? "",
        enforcementLevel: level,
        message: messageOf(p.message ?? "", rule),
        remediation: rule?.remediationSteps ?? "",
        urn: p.resourceUrn || undefined,
        resourceName: p.resourceUrn ? nameOfUrn(p.resourceUrn) : undefined,
        resourceType: p.resourceUrn ? typeOfUrn(p.resourceUrn) : undefined,
      };
    });
}

/** The engine prefixes the rule's description to the message; the report shows the description elsewhere. */
function messageOf(message: string, rule: KeyfleetPolicy | undefined): string {
  const trimmed = message.trim();
  if (rule && trimmed.startsWith(rule.description)) return trimmed.slice(rule.description.length).trim();
  return trimmed;
}

/** True when any violation blocks. */
export function anyMandatory(violations: readonly ReportViolation[]): boolean {
  return violations.some((v) => v.enforcementLevel === "mandatory");
}
