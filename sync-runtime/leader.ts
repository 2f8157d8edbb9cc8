/**
 * Leader election on a coordination.k8s.io/v1 Lease (the client-go protocol: holderIdentity, renewTime,
 * leaseDurationSeconds, resourceVersion-guarded updates). Only the leader runs controllers; a replica that
 * cannot renew within the lease duration stops leading before another may take over.
 */
import type * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import { dateOf, systemClock } from "./clock.ts";
import type { Clock } from "./clock.ts";
import { describeError } from "./logger.ts";

/** The Lease calls used (KubeClient implements them). */
export interface LeaseKube {
  readLease(namespace: string, name: string): Promise<k8s.V1Lease | undefined>;
  createLease(lease: k8s.V1Lease): Promise<boolean>;
  replaceLease(lease: k8s.V1Lease): Promise<boolean>;
}

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  kube: LeaseKube;
  logger: Logger;
  /** Lease namespace (the runtime's). */
  namespace: string;
  /** Lease name. Default "keyfleet-sync-runtime". */
  name?: string;
  /** This replica's identity (pod name). */
  identity: string;
  /** Lease duration, seconds. Default 15. */
  leaseDurationSeconds?: number;
  /** How often to try to acquire/renew, ms. Default 2000. */
  retryPeriodMs?: number;
  /** Time and the round timer. Default the system clock. */
  clock?: Clock;
}

/** Reads and writes stop() tries to hand the Lease back before letting it expire. */
const RELEASE_ATTEMPTS = 3;

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits (pure). */
export function microTime(value: Date | string): k8s.V1MicroTime {
  const iso = (value instanceof Date ? value : new Date(value)).toISOString();
  return iso.replace(/\.(\d{3})Z$/, ".$1000Z") as unknown as k8s.V1MicroTime;
}

function withMicroTimes(spec: k8s.V1LeaseSpec): k8s.V1LeaseSpec {
  return {
    ...spec,
    renewTime: spec.renewTime ? microTime(spec.renewTime as unknown as Date) : undefined,
    acquireTime: spec.acquireTime ? microTime(spec.acquireTime as unknown as Date) : undefined,
  };
}

/** What one election round concluded (pure helper's answer). */
export type LeaseDecision = "acquire" | "renew" | "wait";

/** Decides what to do with a Lease as read (pure). */
export function leaseDecision(lease: k8s.V1Lease | undefined, identity: string, now: Date): LeaseDecision {
  if (!lease) return "acquire";
  const holder = lease.spec?.holderIdentity;
  if (holder === identity) return "renew";
  if (!holder) return "acquire";
  const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
  const duration = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
  return renewed + duration < now.getTime() ? "acquire" : "wait";
}

/** Runs the election loop; calls back when leadership starts and stops. */
export class LeaderElector {
  private readonly o: LeaderElectorOptions;
  private readonly name: string;
  private readonly clock: Clock;
  private cancelTimer: (() => void) | undefined;
  /** The round in progress (or the last one): stop() waits for it, so its renewal cannot race the release. */
  private current: Promise<void> = Promise.resolve();
  private leading = false;
  private lastRenewMs = 0;
  private stopped = false;
  private onStart: () => void = () => {};
  private onStop: () => void = () => {};

  constructor(options: LeaderElectorOptions) {
    this.o = options;
    this.name = options.name ?? "keyfleet-sync-runtime";
    this.clock = options.clock ?? systemClock;
  }

  /** True while this replica holds the Lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Starts the loop. */
  run(onStartedLeading: () => void, onStoppedLeading: () => void): void {
    this.onStart = onStartedLeading;
    this.onStop = onStoppedLeading;
    this.current = this.round();
  }

  /** Stops the loop and releases the Lease when held (so a successor need not wait out the duration). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.current.catch(() => undefined);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      // A write that lost a conflict (someone wrote between our read and replace) is retried from a fresh read.
      for (let attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
        const lease = await this.o.kube.readLease(this.o.namespace, this.name);
        if (lease?.spec?.holderIdentity !== this.o.identity) return;
        const released = await this.o.kube.replaceLease({
          ...lease,
          spec: withMicroTimes({ ...lease.spec, holderIdentity: "" }),
        });
        if (released) return;
      }
      this.o.logger.warn("could not release the leader Lease: every write conflicted; it expires instead");
    } catch (error) {
      this.o.logger.warn({ err: describeError(error) }, "could not release the leader Lease");
    }
  }

  private setLeading(value: boolean): void {
    if (value === this.leading) return;
    this.leading = value;
    this.o.logger.info(
      { lease: `${this.o.namespace}/${this.name}`, identity: this.o.identity, leading: value },
      value ? "became leader" : "stopped leading",
    );
    if (value) this.onStart();
    else this.onStop();
  }

  /** Creates, takes over or renews the Lease as decided; false when not written (conflict or nothing to do). */
  private async writeLease(
    decision: ReturnType<typeof leaseDecision>,
    lease: k8s.V1Lease | undefined,
    spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: k8s.V1MicroTime },
    now: Date,
  ): Promise<boolean> {
    if (decision === "acquire" && !lease) {
      return this.o.kube.createLease({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: this.name, namespace: this.o.namespace },
        spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
      });
    }
    if (decision === "acquire" && lease) {
      const leaseTransitions = (lease.spec?.leaseTransitions ?? 0) + 1;
      return this.o.kube.replaceLease({
        ...lease,
        spec: withMicroTimes({ ...lease.spec, ...spec, acquireTime: microTime(now), leaseTransitions }),
      });
    }
    if (decision === "renew" && lease) {
      return this.o.kube.replaceLease({ ...lease, spec: withMicroTimes({ ...lease.spec, ...spec }) });
    }
    return false;
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const durationSeconds = this.o.leaseDurationSeconds ?? 15;
    try {
      const now = dateOf(this.clock);
      const lease = await this.o.kube.readLease(this.o.namespace, this.name);
      const decision = leaseDecision(lease, this.o.identity, now);
      const spec = {
        holderIdentity: this.o.identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime(now),
      };
      const ok = await this.writeLease(decision, lease, spec, now);
      if (ok) this.lastRenewMs = now.getTime();
      if (!this.stopped)
        this.setLeading(
          ok ||
            (this.leading &&
              decision === "renew" &&
              now.getTime() - this.lastRenewMs < durationSeconds * 1000),
        );
    } catch (error) {
      this.o.logger.warn({ err: describeError(error) }, "leader election round failed");
      if (this.leading && this.clock.nowMs() - this.lastRenewMs >= durationSeconds * 1000 * 0.8)
        this.setLeading(false);
    }
    if (!this.stopped) {
      this.cancelTimer = this.clock.schedule(this.o.retryPeriodMs ?? 2000, () => {
        this.current = this.round();
      });
    }
  }
}
