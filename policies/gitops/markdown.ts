/**
 * The pr-check report as a pull-request comment (pure): renders the JSON twin (report.ts) and nothing else. Long
 * lists are cut to a few rows with a count of the rest (the JSON has them all); the `--target` lists sit in
 * collapsed blocks.
 */
import { percent } from "../lib/format.ts";
import type { TargetedWave } from "../rollout/plan.ts";
import type { PrCheckReport, StackReport } from "./report.ts";
import { counted } from "../../common/text.ts";

/** Rows shown per list before "… and N more". */
const ROWS = 25;
const OP_ORDER = ["create", "update", "replace", "delete", "other", "same"] as const;

function code(text: string): string {
  return `\`${text.replaceAll("`", "'")}\``;
}

/** Table cell text: no pipes or line breaks. */
export function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll(/\s*\n\s*/g, " ");
}

function num(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : Number(n.toPrecision(3)).toLocaleString("en-US");
}

function more(total: number, shown: number): string[] {
  return total > shown ? [`… and ${total - shown} more (all of them are in the JSON report)`] : [];
}

function counts(s: StackReport): string {
  const parts = OP_ORDER.filter((op) => s.changeCounts[op]).map((op) => `${s.changeCounts[op]} ${op}`);
  return parts.join(", ") || "no resources";
}

function burstCell(s: StackReport): string {
  if (s.rollout.vaults.length === 0) return "nothing read at once";
  if (s.rollout.safe) {
    return s.rollout.vaults
      .map(
        (v) => `${v.vault}: ${num(v.burstObjects)} reads at once, ${num(v.headroomPerSecond)} reads/s free`,
      )
      .join("; ");
  }
  return `**${s.rollout.waves.length} waves** needed`;
}

function summary(report: PrCheckReport): string[] {
  const lines = [
    `## keyfleet pr-check — ${report.passed ? "passed" : "FAILED"}`,
    "",
    `Compared with ${code(report.base)}. ` +
      (report.stacks.length > 0
        ? `Stacks changed: ${report.stacks.map((s) => code(s.stack)).join(", ")}`
        : "No stack changed") +
      (report.unchangedStacks.length > 0
        ? ` (unchanged: ${report.unchangedStacks.map(code).join(", ")}).`
        : "."),
  ];
  if (report.stacks.length === 0) return lines;
  lines.push(
    "",
    "| stack | resources | mandatory | advisory | rollout burst | result |",
    "|---|---|---|---|---|---|",
  );
  for (const s of report.stacks) {
    const mandatory = s.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    lines.push(
      `| ${code(s.stack)} | ${counts(s)} | ${mandatory} | ${s.violations.length - mandatory} | ${burstCell(s)} | ` +
        `${s.passed ? "passed" : `**FAILED**: ${cell(s.failures.join("; "))}`} |`,
    );
  }
  return lines;
}

function changesSection(s: StackReport): string[] {
  const lines = ["", `#### Resource changes (${counts(s)})`, ""];
  if (s.changes.length === 0) return [...lines, "Nothing changes."];
  lines.push("| op | type | name | changed inputs |", "|---|---|---|---|");
  for (const c of s.changes.slice(0, ROWS)) {
    const paths = c.changedPaths.slice(0, 4).map(code).join(", ");
    const extra = c.changedPaths.length > 4 ? ` and ${c.changedPaths.length - 4} more` : "";
    lines.push(`| ${c.op} | ${code(c.type)} | ${code(c.name)} | ${paths}${extra} |`);
  }
  return [...lines, ...more(s.changes.length, ROWS)];
}

function violationsSection(s: StackReport): string[] {
  const lines = ["", `#### Policy violations (${s.violations.length})`, ""];
  if (s.violations.length === 0) return [...lines, "None: every rule of the pack passed."];
  for (const v of s.violations.slice(0, ROWS)) {
    const where = v.resourceName ? ` on ${code(v.resourceName)} (${code(v.resourceType ?? "")})` : " (stack)";
    lines.push(`- **[${v.enforcementLevel}] ${v.policyName}**${where}: ${cell(v.message)}`);
    if (v.remediation) lines.push(`  - remediation: ${cell(v.remediation)}`);
  }
  return [...lines, ...more(s.violations.length, ROWS)];
}

function plansSection(s: StackReport): string[] {
  const lines = ["", "#### Vault load plan", ""];
  if (s.vaultPlans.length === 0) return [...lines, "No cluster reads a vault."];
  lines.push(
    "| vault | status | clusters | objects per cluster | required jitter | peak reads/s (jitter / none) | steady reads per 10 s | worst staleness |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const p of s.vaultPlans) {
    const jitter =
      p.recommendedJitterSeconds === null ? "none possible" : `${num(p.recommendedJitterSeconds)} s`;
    lines.push(
      `| ${code(p.vault)} | ${p.status} | ${num(p.clusters)} | ${num(p.secretsPerCluster)} | ${jitter} | ` +
        `${num(p.peakRequestsPerSecond)} / ${num(p.peakRequestsPerSecondWithoutJitter)} | ` +
        `${num(p.expectedReadsPer10s)} | ${num(p.worstStalenessSeconds)} s |`,
    );
    for (const short of p.shortfalls) {
      lines.push(
        `|  | ${counted(short.clusters.length, `${short.engine} cluster`)} spread over only ${short.spreadSeconds} s: risk ${percent(short.risk)} per second |  |  |  |  |  |  |`,
      );
    }
  }
  if (s.planSvg) lines.push("", `Request-rate picture: ${code(s.planSvg)} (attached to the pipeline run).`);
  return lines;
}

function waveLines(stack: string, wave: TargetedWave, intervalSeconds: number): string[] {
  const reads = Object.entries(wave.readsByVault)
    .map(([vault, n]) => `${num(n)} on ${code(vault)}`)
    .join(", ");
  const clusters = wave.clusters.slice(0, 10).map(code).join(", ");
  const parts = wave.units.filter((u) => u.read).length;
  const rest =
    (wave.clusters.length > 10 ? ` and ${wave.clusters.length - 10} more` : "") +
    (parts > 0
      ? ` (${counted(parts, "changed SecretProviderClass/AKVSync object")} of a cluster split by read)`
      : "");
  return [
    `${wave.wave}. ${counted(wave.clusters.length, "cluster")}: ${clusters}${rest} — reads at once: ${reads}` +
      (wave.wave > 1
        ? ` (≥ ${intervalSeconds} s after wave ${wave.wave - 1} and once its SecretSyncs are Ready)`
        : ""),
    "",
    `   <details><summary>${counted(wave.targets.length, "--target URN")}</summary>`,
    "",
    "   ```sh",
    `   pulumi up --stack ${stack} \\`,
    ...wave.targets.map((t, i) => `     --target '${t}'${i < wave.targets.length - 1 ? " \\" : ""}`),
    "   ```",
    "",
    "   </details>",
    "",
  ];
}

function burstSection(s: StackReport): string[] {
  const r = s.rollout;
  const lines = ["", "#### Rollout burst", ""];
  if (r.vaults.length === 0) return [...lines, "No cluster reads from Key Vault at once in this update."];
  lines.push(
    "| vault | clusters reading at once | objects at once | steady reads/s | limit reads/s | clusters absorbed per second | fits |",
    "|---|---|---|---|---|---|---|",
  );
  for (const v of r.vaults) {
    lines.push(
      `| ${code(v.vault)} | ${num(v.clusters.length)} | ${num(v.burstObjects)} (up to ${num(v.maxObjectsPerCluster)} per cluster) | ` +
        `${num(v.steadyReadsPerSecond)} | ${num(v.limitPerSecond)} | ${num(v.clusterBurstsPerSecond)} | ${v.safe ? "yes" : "**no**"} |`,
    );
  }
  if (r.problems.length > 0) {
    lines.push(
      "",
      `Not counted (the graph does not show enough): ${r.problems.map((p) => cell(`${p.cluster}: ${p.message}`)).join("; ")}`,
    );
  }
  if (r.safe) return [...lines, "", "The vaults absorb this update in one `pulumi up`."];
  const largest = Math.max(...r.waves.map((w) => w.clusters.length));
  lines.push(
    "",
    `Split the update into **${r.waves.length} waves** of up to ${counted(largest, "cluster")}, at least ${r.waveIntervalSeconds} s apart ` +
      "(Key Vault counts reads per 10-s window), each once the previous wave's SecretSyncs are Ready " +
      `(\`keyfleet rollout --stack ${s.stack}\` does this):`,
    "",
  );
  for (const wave of r.waves.slice(0, ROWS)) lines.push(...waveLines(s.stack, wave, r.waveIntervalSeconds));
  lines.push(...more(r.waves.length, ROWS));
  for (const o of r.oversized) {
    const what = o.read ? `${code(o.read.split("::").pop()!)} on ${code(o.cluster)}` : code(o.cluster);
    lines.push(
      "",
      `- ${what} alone reads ${num(o.objects)} objects at once from ${code(o.vault)}, more than its ` +
        `${num(o.headroomPerSecond)} reads/s of headroom: no wave size helps; split this change into smaller ones.`,
    );
  }
  return lines;
}

function errorsSection(s: StackReport): string[] {
  if (s.errors.length === 0) return [];
  return [
    "",
    "#### Preview errors",
    "",
    ...s.errors.slice(0, ROWS).map((e) => `- ${cell(e)}`),
    ...more(s.errors.length, ROWS),
  ];
}

/** The Markdown comment of a report. */
export function renderMarkdown(report: PrCheckReport): string {
  const lines = summary(report);
  for (const s of report.stacks) {
    lines.push(
      "",
      `### Stack ${code(s.stack)} — ${s.passed ? "passed" : "FAILED"}`,
      ...errorsSection(s),
      ...changesSection(s),
      ...violationsSection(s),
      ...plansSection(s),
      ...burstSection(s),
    );
  }
  return `${lines.join("\n")}\n`;
}
