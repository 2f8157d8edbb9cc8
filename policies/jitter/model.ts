/**
 * The fleet jitter model (the Secret Store extension's published method).
 *
 * `C` clusters each read `S` secrets from one vault when their poll fires. If each cluster adds a uniform random
 * delay in [0, J] seconds, cluster arrivals per second are approximately Poisson with mean C/J. The vault allows
 * `vaultLimitPer10s / 10` reads per second, i.e. T = (vaultLimitPer10s / 10) / S whole cluster bursts per second.
 * We want P(arrivals in one second > ⌊T⌋) ≤ p, so we solve for the largest admissible Poisson mean λ with the
 * Wilson–Hilferty approximation of the Poisson quantile,
 *   λ = T · (1 − 1/(9T) − z/(3·√T))³ with z = |Φ⁻¹(p)|,
 * and the jitter that spreads C clusters thinly enough is J = C/λ. The check recomputes the exact Poisson tail
 * 1 − PoissonCDF(⌊T⌋; C/J), which Microsoft's worked example reports too (700 × 30, p = 0.01 % → J ≈ 190 s,
 * risk ≈ 0.0034 %).
 */
import { normalQuantile } from "./normal.ts";
import { poissonUpperTail } from "./poisson.ts";

/** Defaults of the model, as published. */
export const JITTER_MODEL_DEFAULTS = {
  /** Acceptable per-second probability of exceeding the vault limit: 0.01 %. */
  risk: 0.0001,
  /** Key Vault secret reads allowed per 10 s per vault per region (older docs say 2,000). */
  vaultLimitPer10s: 4000,
} as const;

/** Inputs of {@link requiredJitter}. */
export interface JitterModelInput {
  /** C: clusters reading from the vault (integer ≥ 1). */
  clusters: number;
  /** S: secrets each cluster reads from the vault per poll (integer ≥ 1). */
  secretsPerCluster: number;
  /** p: acceptable per-second risk of exceeding the limit, 0 < p < 0.5. Default 0.0001 (0.01 %). */
  risk?: number;
  /** Vault read limit per 10 seconds (> 0). Default 4000. */
  vaultLimitPer10s?: number;
}

/** Fields every result carries. */
interface JitterModelCommon {
  clusters: number;
  secretsPerCluster: number;
  /** The acceptable risk p the result was computed for. */
  targetRisk: number;
  vaultLimitPer10s: number;
  /** z = |Φ⁻¹(p)|. */
  z: number;
  /** T = (vaultLimitPer10s / 10) / S: cluster bursts per second the vault absorbs. */
  threshold: number;
}

/** A jitter that meets the risk exists. */
export interface JitterModelFeasible extends JitterModelCommon {
  feasible: true;
  /** λ: the largest admissible mean of cluster arrivals per second (Wilson–Hilferty). */
  lambda: number;
  /** J = C/λ in seconds, exact (unrounded). */
  jitterSeconds: number;
  /** ⌈J⌉: the whole number of seconds to configure. */
  recommendedJitterSeconds: number;
  /** 1 − PoissonCDF(⌊T⌋; C/J), a fraction (0.0001 = 0.01 %). */
  risk: number;
  /** The same risk with the rounded-up jitter (never above {@link risk}). */
  riskAtRecommended: number;
}

/** No jitter can meet the risk: one second holding a single cluster's burst is already too likely to exceed it. */
export interface JitterModelInfeasible extends JitterModelCommon {
  feasible: false;
  /** Why, in words a platform engineer can act on. */
  reason: string;
}

/** Result of {@link requiredJitter}. */
export type JitterModelResult = JitterModelFeasible | JitterModelInfeasible;

/** Bad model input; `field` names the offending input. */
export class JitterModelInputError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = "JitterModelInputError";
    this.field = field;
  }
}

function requireInteger(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new JitterModelInputError(field, `${field} must be a whole number ≥ 1, got ${String(value)}`);
  }
}

function requireRisk(value: number): void {
  if (!Number.isFinite(value) || value <= 0 || value >= 0.5) {
    throw new JitterModelInputError(
      "risk",
      `risk must be a fraction greater than 0 and less than 0.5 (0.0001 = 0.01 %), got ${String(value)}`,
    );
  }
}

function requireLimit(value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new JitterModelInputError(
      "vaultLimitPer10s",
      `vaultLimitPer10s must be a number > 0, got ${String(value)}`,
    );
  }
}

/** T = (vaultLimitPer10s / 10) / S. */
export function burstThreshold(secretsPerCluster: number, vaultLimitPer10s: number): number {
  return vaultLimitPer10s / 10 / secretsPerCluster;
}

/**
 * Per-second risk that `clusters` bursts of `secretsPerCluster` reads, spread uniformly over `spreadSeconds`,
 * exceed the vault limit: 1 − PoissonCDF(⌊T⌋; C / spreadSeconds). A spread of 0 (everyone at once) is a certain
 * overrun when C > ⌊T⌋ and 0 otherwise.
 */
export function burstRisk(
  clusters: number,
  secretsPerCluster: number,
  spreadSeconds: number,
  vaultLimitPer10s: number = JITTER_MODEL_DEFAULTS.vaultLimitPer10s,
): number {
  const k = Math.floor(burstThreshold(secretsPerCluster, vaultLimitPer10s));
  if (spreadSeconds <= 0) return clusters > k ? 1 : 0;
  return poissonUpperTail(k, clusters / spreadSeconds);
}

/**
 * The jitter a fleet needs so that the per-second risk of exceeding the vault limit stays at or below p.
 * @throws JitterModelInputError naming the field when an input is out of range.
 */
export function requiredJitter(input: JitterModelInput): JitterModelResult {
  const clusters = input.clusters;
  const secretsPerCluster = input.secretsPerCluster;
  const targetRisk = input.risk ?? JITTER_MODEL_DEFAULTS.risk;
  const vaultLimitPer10s = input.vaultLimitPer10s ?? JITTER_MODEL_DEFAULTS.vaultLimitPer10s;
  requireInteger("clusters", clusters);
  requireInteger("secretsPerCluster", secretsPerCluster);
  requireRisk(targetRisk);
  requireLimit(vaultLimitPer10s);

  const z = Math.abs(normalQuantile(targetRisk));
  const threshold = burstThreshold(secretsPerCluster, vaultLimitPer10s);
  const common = { clusters, secretsPerCluster, targetRisk, vaultLimitPer10s, z, threshold };
  const base = 1 - 1 / (9 * threshold) - z / (3 * Math.sqrt(threshold));
  if (base <= 0) {
    return {
      ...common,
      feasible: false,
      reason:
        `${secretsPerCluster} secrets per cluster leave a threshold of only ${threshold.toFixed(2)} cluster bursts ` +
        `per second under a limit of ${vaultLimitPer10s} reads per 10 s; no jitter keeps the per-second risk at ` +
        `${targetRisk}. Split the secrets over more vaults or read fewer per cluster.`,
    };
  }
  const lambda = threshold * base ** 3;
  const jitterSeconds = clusters / lambda;
  const recommendedJitterSeconds = Math.ceil(jitterSeconds);
  const k = Math.floor(threshold);
  return {
    ...common,
    feasible: true,
    lambda,
    jitterSeconds,
    recommendedJitterSeconds,
    risk: poissonUpperTail(k, clusters / jitterSeconds),
    riskAtRecommended: poissonUpperTail(k, clusters / recommendedJitterSeconds),
  };
}
