/** Text report of violations for `npm run policy:check` (pure). */
import type { Violation } from "./evaluate.ts";
import { counted } from "../../common/text.ts";

/** One block per violation: level, policy, resource, message; then a summary line. */
export function formatViolations(
  stack: string,
  violations: readonly Violation[],
  resourceCount: number,
): string {
  const lines: string[] = [];
  for (const v of violations) {
    const where = v.resourceName ? `${v.resourceName} (${v.resourceType})` : "stack";
    lines.push(`[${v.enforcementLevel}] ${v.policyName}: ${where}`, `    ${v.message}`);
  }
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  const advisory = violations.length - mandatory;
  lines.push(
    `policy check of stack "${stack}": ${resourceCount} resources, ${mandatory} mandatory and ${counted(advisory, "advisory violation")}` +
      (mandatory > 0 ? " — FAILED" : " — passed"),
  );
  return `${lines.join("\n")}\n`;
}
