import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type * as k8s from "@kubernetes/client-node";
import { pino } from "pino";
import { LeaderElector } from "./leader.ts";
import type { LeaseKube } from "./leader.ts";

/** An in-memory Lease store with resourceVersion-guarded replaces, and hooks to interleave other writers. */
class LeaseStore implements LeaseKube {
  lease: k8s.V1Lease | undefined;
  private version = 0;
  /** Runs before a replace is judged (e.g. another writer's update, which makes this one conflict). */
  beforeReplace: (() => void) | undefined;

  async readLease(): Promise<k8s.V1Lease | undefined> {
    return this.lease && structuredClone(this.lease);
  }
  async createLease(lease: k8s.V1Lease): Promise<boolean> {
    if (this.lease) return false;
    this.lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.version) } };
    return true;
  }
  async replaceLease(lease: k8s.V1Lease): Promise<boolean> {
    const hook = this.beforeReplace;
    this.beforeReplace = undefined;
    hook?.();
    if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) return false;
    this.lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.version) } };
    return true;
  }
  /** Another writer touches the Lease without changing its holder (only its resourceVersion moves). */
  touch(): void {
    this.lease = {
      ...this.lease,
      metadata: { ...this.lease!.metadata, resourceVersion: String(++this.version) },
    };
  }
}

const elector = (kube: LeaseKube) =>
  new LeaderElector({
    kube,
    logger: pino({ level: "silent" }),
    namespace: "keyfleet-system",
    identity: "pod-a",
    retryPeriodMs: 60_000,
  });

async function leading(kube: LeaseStore): Promise<LeaderElector> {
  const e = elector(kube);
  const started = new Promise<void>((resolve) => e.run(resolve, () => {}));
  await started;
  assert.equal(kube.lease?.spec?.holderIdentity, "pod-a");
  return e;
}

void describe("LeaderElector.stop", () => {
  void it("hands the Lease back (empty holder), so a successor need not wait out the duration", async () => {
    const kube = new LeaseStore();
    await (await leading(kube)).stop();
    assert.equal(kube.lease?.spec?.holderIdentity, "");
  });

  void it("retries the release from a fresh read when a write lands between its read and replace", async () => {
    const kube = new LeaseStore();
    const e = await leading(kube);
    kube.beforeReplace = () => kube.touch();
    await e.stop();
    assert.equal(kube.lease?.spec?.holderIdentity, "");
  });
});
