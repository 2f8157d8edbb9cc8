/**
 * The runtime's Prometheus metrics. One {@link RuntimeMetrics} owns the process-wide prom-client Registry;
 * other parts (the vault layer, restarts) register their own metrics on `registry`. Labels never carry values.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Metric names (the upstream controller's plus operator extras for throttling and restarts). */
export const MetricName = {
  totalSyncK8sSecret: "total_sync_k8s_secret",
  syncK8sSecretDurationSec: "sync_k8s_secret_duration_sec",
  totalRotationReconcile: "total_rotation_reconcile",
  totalRotationReconcileError: "total_rotation_reconcile_error",
  rotationReconcileDurationSec: "rotation_reconcile_duration_sec",
  reconcileQueueDepth: "keyfleet_reconcile_queue_depth",
  scheduledSyncs: "keyfleet_scheduled_syncs",
  secretSyncs: "keyfleet_secretsyncs",
  statusWritesTotal: "keyfleet_status_writes_total",
  secretWritesTotal: "keyfleet_secret_writes_total",
  isLeader: "keyfleet_leader",
} as const;

/** Options of {@link RuntimeMetrics}. */
export interface RuntimeMetricsOptions {
  /** Also collect Node process metrics (heap, CPU, event loop). Default true. */
  processMetrics?: boolean;
}

/** Owns the registry and the reconciler's metrics. */
export class RuntimeMetrics {
  /** The runtime-wide registry (`/metrics` serves it). */
  readonly registry: Registry;
  private readonly syncTotal: Counter<"namespace" | "reason">;
  private readonly syncDuration: Histogram<"namespace">;
  private readonly rotation: Counter<"rotated">;
  private readonly rotationError: Counter<"rotated" | "error_type">;
  private readonly rotationDuration: Histogram<"rotated">;
  private readonly queueDepth: Gauge;
  private readonly scheduled: Gauge;
  private readonly served: Gauge;
  private readonly statusWrites: Counter<"outcome">;
  private readonly secretWrites: Counter<"outcome">;
  private readonly leader: Gauge;

  constructor(options: RuntimeMetricsOptions = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.syncTotal = new Counter({
      name: MetricName.totalSyncK8sSecret,
      help: "Kubernetes Secret syncs (writes), by reason",
      labelNames: ["namespace", "reason"],
      registers,
    });
    this.syncDuration = new Histogram({
      name: MetricName.syncK8sSecretDurationSec,
      help: "Duration of a Secret write",
      labelNames: ["namespace"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.rotation = new Counter({
      name: MetricName.totalRotationReconcile,
      help: "Rotation reconciles, by whether the Secret changed",
      labelNames: ["rotated"],
      registers,
    });
    this.rotationError = new Counter({
      name: MetricName.totalRotationReconcileError,
      help: "Failed rotation reconciles, by status reason",
      labelNames: ["rotated", "error_type"],
      registers,
    });
    this.rotationDuration = new Histogram({
      name: MetricName.rotationReconcileDurationSec,
      help: "Duration of a whole reconcile",
      labelNames: ["rotated"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.queueDepth = new Gauge({
      name: MetricName.reconcileQueueDepth,
      help: "SecretSyncs waiting or being reconciled",
      registers,
    });
    this.scheduled = new Gauge({
      name: MetricName.scheduledSyncs,
      help: "SecretSyncs with a scheduled poll",
      registers,
    });
    this.served = new Gauge({
      name: MetricName.secretSyncs,
      help: "SecretSyncs served by this runtime",
      registers,
    });
    this.statusWrites = new Counter({
      name: MetricName.statusWritesTotal,
      help: "SecretSync status writes, by outcome",
      labelNames: ["outcome"],
      registers,
    });
    this.secretWrites = new Counter({
      name: MetricName.secretWritesTotal,
      help: "Secret server-side applies, by outcome",
      labelNames: ["outcome"],
      registers,
    });
    this.leader = new Gauge({
      name: MetricName.isLeader,
      help: "1 while this replica holds the leader Lease",
      registers,
    });
  }

  /** A Secret write finished. */
  secretWritten(namespace: string, reason: string, seconds: number, ok: boolean): void {
    this.secretWrites.inc({ outcome: ok ? "ok" : "error" });
    if (!ok) return;
    this.syncTotal.inc({ namespace, reason });
    this.syncDuration.observe({ namespace }, seconds);
  }

  /** A reconcile finished. `errorType` = failure reason, undefined on success. */
  reconciled(rotated: boolean, seconds: number, errorType?: string): void {
    const label = String(rotated);
    this.rotation.inc({ rotated: label });
    this.rotationDuration.observe({ rotated: label }, seconds);
    if (errorType) this.rotationError.inc({ rotated: label, error_type: errorType });
  }

  /** A status write finished. */
  statusWritten(ok: boolean): void {
    this.statusWrites.inc({ outcome: ok ? "ok" : "error" });
  }

  /** Queue gauges. */
  queue(depth: number, scheduled: number, served: number): void {
    this.queueDepth.set(depth);
    this.scheduled.set(scheduled);
    this.served.set(served);
  }

  /** Leadership gauge. */
  setLeader(isLeader: boolean): void {
    this.leader.set(isLeader ? 1 : 0);
  }

  /** Current value of a counter/gauge summed over labels (tests, bench). */
  async total(name: string, filter: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return 0;
    const values = (await metric.get()).values;
    return values
      .filter((v) => {
        const metricName = (v as { metricName?: string }).metricName;
        return metricName === undefined || metricName === name;
      })
      .filter((v) => Object.entries(filter).every(([k, want]) => String(v.labels[k]) === want))
      .reduce((sum, v) => sum + v.value, 0);
  }
}
