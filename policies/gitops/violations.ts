/**
 * Policy violations of a real preview (pure). `pulumi preview --json` leaves policy events out of its digest, so
 * the preview also writes its engine events (`--event-log <file>`, one JSON object per line); each `policyEvent`
 * names the policy, pack, level and resource. The remediation text comes from the pack's own rule objects.
 */
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { nameOfUrn, typeOfUrn } from "../rollout/changeset.ts";

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

/** The policy event fields read here (apitype.PolicyEvent). */
interface PolicyEvent {
  resourceUrn?: string;
  message?: string;
  policyName?: string;
  policyPackName?: string;
  /** "advisory" | "warning" | "mandatory" | "remediate" | "none"? as the engine spells it. */
  enforcementLevel?: string;
}

/**
 * The violations in an engine event log (JSON lines), in event order. Lines that are not JSON (a truncated last
 * line while the engine was stopped) are skipped; so are events other than policy violations.
 */
export function violationsFromEventLog(text: string, policies: readonly KeyfleetPolicy[]): ReportViolation[] {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const out: ReportViolation[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let event: { policyEvent?: PolicyEvent };
    try {
      event = JSON.parse(line) as { policyEvent?: PolicyEvent };
    } catch {
      continue;
    }
    const p = event.policyEvent;
    if (!p?.policyName) continue;
    const rule = byName.get(p.policyName);
    const level =
      p.enforcementLevel === "mandatory" || p.enforcementLevel === "remediate" ? "mandatory" : "advisory";
    out.push({
      policyName: p.policyName,
      policyPack: p.policyPackName ?? "",
      enforcementLevel: level,
      message: messageOf(p.message ?? "", rule),
      remediation: rule?.remediationSteps ?? "",
      ...(p.resourceUrn
        ? {
            urn: p.resourceUrn,
            resourceName: nameOfUrn(p.resourceUrn),
            resourceType: typeOfUrn(p.resourceUrn),
          }
        : {}),
    });
  }
  return out;
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
