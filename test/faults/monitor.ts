/**
 * The fault suite's Secret monitor (test infrastructure): samples every managed Secret of a namespace each second
 * and judges each sample against the values written to the vault. A sample is bad when the Secret is missing, a
 * key is missing or empty, a value was never written to its vault secret, or a value is older than one this key
 * already showed (the Secret was set back). Samples the apiserver cannot answer (while it or etcd restarts) are
 * counted as unobservable, not judged. It also measures how long after a fault every Secret holds the vault's
 * current values (time to resume). Values are compared, never printed.
 */
import type * as k8s from "@kubernetes/client-node";

/** Every value ever written to each vault secret, in order (generation = position). */
export class ValueHistory {
  private readonly generations = new Map<string, { source: string; generation: number }>();
  private readonly latest = new Map<string, string>();
  private readonly all: string[] = [];

  /** Records the next value of a vault secret. */
  add(source: string, value: string): void {
    const generation = this.generations.size;
    this.generations.set(value, { source, generation });
    this.latest.set(source, value);
    this.all.push(value);
  }

  /** Where a value came from, if it was ever written. */
  lookup(value: string): { source: string; generation: number } | undefined {
    return this.generations.get(value);
  }

  /** The vault secret's current value. */
  current(source: string): string | undefined {
    return this.latest.get(source);
  }

  /** Every value written (for the secrecy sweep). */
  values(): readonly string[] {
    return this.all;
  }
}

/** What one Secret must hold: data key → vault secret name. */
export type SecretLayout = Readonly<Record<string, string>>;

/** Why a sample is bad. */
export type SampleProblem = "missing" | "empty" | "foreign" | "older";

/** One bad sample (no value in it). */
export interface BadSample {
  atMs: number;
  secret: string;
  key?: string;
  problem: SampleProblem;
  /** The fault running when it was taken ("" between faults). */
  fault: string;
}

/**
 * Judges one Secret sample (pure). `lastSeen` (data key → generation) is updated with what the sample shows.
 * @param data the Secret's decoded data, or undefined when the Secret does not exist.
 */
export function judgeSample(
  layout: SecretLayout,
  data: Readonly<Record<string, string>> | undefined,
  history: Pick<ValueHistory, "lookup">,
  lastSeen: Map<string, number>,
): Array<{ key?: string; problem: SampleProblem }> {
  if (!data) return [{ problem: "missing" }];
  const problems: Array<{ key?: string; problem: SampleProblem }> = [];
  for (const [key, source] of Object.entries(layout)) {
    const value = data[key];
    if (value === undefined || value === "") {
      problems.push({ key, problem: "empty" });
      continue;
    }
    const origin = history.lookup(value);
    if (!origin || origin.source !== source) {
      problems.push({ key, problem: "foreign" });
      continue;
    }
    const previous = lastSeen.get(key);
    if (previous !== undefined && origin.generation < previous) problems.push({ key, problem: "older" });
    else lastSeen.set(key, origin.generation);
  }
  return problems;
}

/** True when a sample holds every key's current vault value (pure). */
export function isCurrent(
  layout: SecretLayout,
  data: Readonly<Record<string, string>> | undefined,
  history: Pick<ValueHistory, "current">,
): boolean {
  return (
    data !== undefined &&
    Object.entries(layout).every(([key, source]) => data[key] === history.current(source))
  );
}

/** The monitor's figures. */
export interface MonitorReport {
  /** Secret samples judged. */
  samples: number;
  badSamples: BadSample[];
  /** Seconds in which the apiserver could not answer the list (restarts). */
  unobservableTicks: number;
  ticks: number;
}

/** Options of {@link SecretMonitor}. */
export interface SecretMonitorOptions {
  core: k8s.CoreV1Api;
  namespace: string;
  /** Secret name → layout. */
  secrets: ReadonlyMap<string, SecretLayout>;
  history: ValueHistory;
  /** Sampling period. Default 1,000 ms. */
  periodMs?: number;
}

/** See module doc. */
export class SecretMonitor {
  private readonly o: SecretMonitorOptions;
  private readonly lastSeen = new Map<string, Map<string, number>>();
  private readonly report: MonitorReport = { samples: 0, badSamples: [], unobservableTicks: 0, ticks: 0 };
  private latest = new Map<string, Record<string, string>>();
  private latestAtMs = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private waiters: Array<() => void> = [];
  /** Name of the fault in progress (tags bad samples). */
  fault = "";

  constructor(options: SecretMonitorOptions) {
    this.o = options;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<MonitorReport> {
    this.running = false;
    await this.loop;
    return this.figures();
  }

  /** A copy of the figures so far. */
  figures(): MonitorReport {
    return { ...this.report, badSamples: [...this.report.badSamples] };
  }

  private async run(): Promise<void> {
    const period = this.o.periodMs ?? 1000;
    while (this.running) {
      const started = Date.now();
      await this.tick();
      for (const wake of this.waiters.splice(0)) wake();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, period - (Date.now() - started))));
    }
  }

  private async tick(): Promise<void> {
    this.report.ticks++;
    let list: k8s.V1SecretList;
    try {
      list = await this.o.core.listNamespacedSecret({ namespace: this.o.namespace, timeoutSeconds: 5 });
    } catch {
      this.report.unobservableTicks++;
      return;
    }
    const now = Date.now();
    const byName = new Map(list.items.map((s) => [s.metadata?.name ?? "", s]));
    const latest = new Map<string, Record<string, string>>();
    for (const [name, layout] of this.o.secrets) {
      const secret = byName.get(name);
      const data = secret
        ? Object.fromEntries(
            Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
          )
        : undefined;
      if (data) latest.set(name, data);
      let seen = this.lastSeen.get(name);
      if (!seen) this.lastSeen.set(name, (seen = new Map()));
      this.report.samples++;
      for (const p of judgeSample(layout, data, this.o.history, seen)) {
        this.report.badSamples.push({
          atMs: now,
          secret: name,
          ...(p.key ? { key: p.key } : {}),
          problem: p.problem,
          fault: this.fault,
        });
      }
    }
    this.latest = latest;
    this.latestAtMs = now;
  }

  /** The Secrets whose last sample did not show the vault's current values (names only). */
  private stale(): string[] {
    return [...this.o.secrets]
      .filter(([name, layout]) => !isCurrent(layout, this.latest.get(name), this.o.history))
      .map(([name]) => name);
  }

  /**
   * Resolves with the milliseconds from `sinceMs` to the first sample (taken after `sinceMs`) showing every Secret
   * with the vault's current values; rejects after `timeoutMs`.
   */
  async waitAllCurrent(sinceMs: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      if (this.latestAtMs > sinceMs && this.stale().length === 0) return this.latestAtMs - sinceMs;
      if (Date.now() > deadline) {
        throw new Error(
          `Secrets not current ${timeoutMs} ms after the fault ended: ${this.stale().join(", ")}`,
        );
      }
    }
  }
}
