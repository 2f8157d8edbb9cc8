/**
 * The drift report as Markdown (pure), for the nightly job's summary: what changed outside Pulumi and how each is
 * set back, what was not ready at refresh (not drift), and the field managers whose labels and annotations the run
 * was told to ignore. Names resources, paths, keys and managers, never values.
 */
import { counted } from "../../common/text.ts";
import { DriftKind, type DriftedResource, type DriftReport } from "./drift-report.ts";
import { cell } from "./markdown.ts";

const HOW: Readonly<Record<DriftKind, (d: DriftedResource) => string>> = {
  program: (d) => `\`pulumi up --refresh\` (${d.op})`,
  conflict: (d) =>
    `\`pulumi up --refresh\` (${d.op}; takes the fields back from ${managerList(d.conflict!.managers)})`,
  unseen: () => "by hand: `pulumi up` does not see it",
};

const managerList = (managers: readonly string[]) => managers.map((m) => `\`${m}\``).join(", ");

/** How a resource is set back, with the labels and annotations `pulumi up` keeps (for any kind). */
function setBackBy(d: DriftedResource): string {
  if (!d.addedBy) return HOW[d.kind](d);
  const keys = `labels/annotations added by ${managerList(d.addedBy)}`;
  return d.kind === DriftKind.unseen ? `${HOW[d.kind](d)} (${keys})` : `${HOW[d.kind](d)}; ${keys}: by hand`;
}

function driftTable(report: DriftReport): string[] {
  const lines = [
    "",
    "| resource | type | what differs from the program | set back by |",
    "|---|---|---|---|",
    ...report.drifted.map((d) => {
      const paths = d.changedPaths.map((p) => `\`${p}\``);
      const fields = d.conflict
        ? [`fields now owned by another manager: ${d.conflict.fields.map((f) => `\`${f}\``).join(", ")}`]
        : [];
      return `| \`${d.name}\` | \`${d.type}\` | ${[...paths, ...fields].join(", ") || "—"} | ${setBackBy(d)} |`;
    }),
  ];
  if (report.drifted.some((d) => d.kind === DriftKind.unseen || d.addedBy)) {
    lines.push(
      "",
      '"By hand": the live object has more than the program declares (an item added to a list, a label or ' +
        "annotation added by a field manager other than Pulumi, Kubernetes and keyfleet). The Kubernetes " +
        "provider compares only what the program declares, and server-side apply leaves other managers' " +
        "fields alone, so `pulumi up` keeps the addition; remove it (`kubectl edit`, `kubectl label <kind> " +
        "<name> <key>-`), then run `keyfleet drift` again.",
    );
  }
  return lines;
}

function unreadyTable(report: DriftReport): string[] {
  return [
    "",
    `### Not ready at refresh (not drift): ${counted(report.unready.length, "resource")}`,
    "",
    "| resource | type | the provider's reason |",
    "|---|---|---|",
    ...report.unready.map((u) => `| \`${u.name}\` | \`${u.type}\` | ${cell(u.reasons.join("; ")) || "—"} |`),
    "",
    "The provider found these not ready when it read them back — a rollout in progress (after `pulumi up`, a " +
      "restart, a node drain) — so the engine plans an update with no change only to wait for them again. " +
      "Nothing was changed outside Pulumi; if one stays not ready run after run, look at its rollout " +
      "(`kubectl rollout status`, its pods' events).",
  ];
}

/** The drift report as Markdown (pure). */
export function renderDriftMarkdown(report: DriftReport): string {
  const lines = [
    `## keyfleet drift — stack \`${report.stack}\`: ` +
      (report.drifted.length === 0
        ? "no drift"
        : `${counted(report.drifted.length, "resource")} changed outside Pulumi`),
  ];
  if (report.drifted.length > 0) lines.push(...driftTable(report));
  if (report.unready.length > 0) lines.push(...unreadyTable(report));
  if (report.ignoredManagers.length > 0) {
    const seen = report.ignoredManagersSeen;
    lines.push(
      "",
      `Not drift by rule (\`--ignore-manager\`): labels and annotations added by ${managerList(report.ignoredManagers)}` +
        `; ${seen.length > 0 ? `seen on this stack: ${managerList(seen)}` : "none of them added any on this stack"}.`,
    );
  }
  return `${lines.join("\n")}\n`;
}
