/**
 * SVG picture of each vault's expected Key Vault request rate over one poll period after every cluster polls in
 * step (t = 0): with the configured spread, without any jitter, and the vault's limit (pure string rendering).
 * The y axis is logarithmic so a synchronized spike and a well-spread trickle are both visible.
 */
import { rateOverPollPeriod } from "../fleet/analysis.ts";
import type { VaultPlan } from "./plan.ts";
import { counted } from "../../common/text.ts";

const WIDTH = 760;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 70, right: 20, top: 42, bottom: 40 };
const FLOOR = 0.01; // requests/s shown at the bottom of the log axis

function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function fmt(n: number): string {
  return String(Number(n.toPrecision(3)));
}

function panel(plan: VaultPlan, vaultLimitPer10s: number, top: number): string {
  const series = rateOverPollPeriod(plan.analysis.clusters);
  const bins = series.withJitter.length;
  const period = bins * series.binSeconds;
  const limit = vaultLimitPer10s / 10;
  const maxValue = Math.max(limit, ...series.withJitter, ...series.withoutJitter) * 1.5;
  const logMin = Math.log10(FLOOR);
  const logMax = Math.log10(maxValue);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (t: number) => MARGIN.left + (t / period) * plotW;
  const y = (v: number) =>
    top + MARGIN.top + plotH - ((Math.log10(Math.max(v, FLOOR)) - logMin) / (logMax - logMin)) * plotH;
  const step = (values: number[]) =>
    values
      .map(
        (v, b) =>
          `${x(b * series.binSeconds).toFixed(1)},${y(v).toFixed(1)} ${x((b + 1) * series.binSeconds).toFixed(1)},${y(v).toFixed(1)}`,
      )
      .join(" ");
  const a = plan.analysis;
  const required = a.required.feasible ? `${a.required.recommendedJitterSeconds} s` : "none possible";
  const parts: string[] = [];
  parts.push(
    `<text x="${MARGIN.left}" y="${top + 18}" font-size="14" font-weight="bold">${escapeXml(
      `vault ${plan.vault}: ${counted(a.clusterCount, "cluster")} × up to ${a.maxObjectsPerCluster} objects — required spread ${required} — ${plan.status}`,
    )}</text>`,
  );
  for (let p = Math.ceil(logMin); p <= Math.floor(logMax); p++) {
    const v = 10 ** p;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  for (let i = 0; i <= 6; i++) {
    const t = (period * i) / 6;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${top + PANEL_HEIGHT - 18}" font-size="11" text-anchor="middle">${fmt(Math.round(t))} s</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${top + MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<polyline fill="none" stroke="#aaa" stroke-width="2" points="${step(series.withoutJitter)}"/>`,
    `<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="${step(series.withJitter)}"/>`,
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(limit).toFixed(1)}" y2="${y(limit).toFixed(1)}" stroke="#d1242f" stroke-dasharray="6 4" stroke-width="2"/>`,
    `<text x="${WIDTH - MARGIN.right - 4}" y="${(y(limit) - 6).toFixed(1)}" font-size="11" text-anchor="end" fill="#d1242f">limit ${fmt(limit)} requests/s</text>`,
    `<text x="14" y="${top + MARGIN.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${top + MARGIN.top + plotH / 2})" text-anchor="middle">requests/s (log)</text>`,
  );
  return parts.join("\n");
}

/** One SVG document with a panel per vault and a legend. */
export function renderPlanSvg(plans: readonly VaultPlan[], vaultLimitPer10s: number): string {
  const height = plans.length * PANEL_HEIGHT + 40;
  const legend = [
    `<rect x="${MARGIN.left}" y="${height - 28}" width="14" height="3" fill="#1f6feb"/>`,
    `<text x="${MARGIN.left + 20}" y="${height - 22}" font-size="12">with the configured jitter (AKS add-on: poll phase)</text>`,
    `<rect x="${MARGIN.left + 330}" y="${height - 28}" width="14" height="3" fill="#aaa"/>`,
    `<text x="${MARGIN.left + 350}" y="${height - 22}" font-size="12">without jitter (all clusters in step)</text>`,
  ].join("\n");
  const body = plans.map((p, i) => panel(p, vaultLimitPer10s, i * PANEL_HEIGHT)).join("\n");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
    `font-family="sans-serif">\n<title>Expected Key Vault request rate over one poll period</title>\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${body}\n${legend}\n</svg>\n`
  );
}
