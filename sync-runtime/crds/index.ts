/**
 * Every CRD the runtime serves, for the Pulumi SyncRuntime component (`keyfleetCrds()`) and for
 * `installCrds` (tests, demo, `keyfleet run --install-crds`).
 */
import { systemClock } from "../clock.ts";
import type { Clock } from "../clock.ts";
import type { KubeClient } from "../kube/client.ts";
import { akvSyncCrd } from "./akvsync.ts";
import type { CrdManifest } from "./common.ts";
import { secretProviderClassCrd } from "./secretproviderclass.ts";
import { secretSyncCrd } from "./secretsync.ts";

export { akvSyncCrd, secretProviderClassCrd, secretSyncCrd };
export type { CrdManifest };

/**
 * CRDs installed only when the cluster has none of that name (another engine may own them), or upgraded when the
 * one there is keyfleet's own (its field manager applied it).
 */
export const INSTALL_IF_ABSENT: ReadonlySet<string> = new Set([secretProviderClassCrd.metadata.name]);

/** All CRDs the runtime serves: SecretSync, SecretProviderClass and AKVSync (issue 4). */
export function keyfleetCrds(): CrdManifest[] {
  return [
    structuredClone(secretSyncCrd),
    structuredClone(secretProviderClassCrd),
    structuredClone(akvSyncCrd),
  ];
}

/** Field manager of CRD installs. */
export const CRDS_FIELD_MANAGER = "keyfleet-crds";

/** True when keyfleet's field manager applied this CRD (so keyfleet may upgrade it). */
function appliedByKeyfleet(crd: { metadata?: { managedFields?: Array<{ manager?: string }> } }): boolean {
  return (crd.metadata?.managedFields ?? []).some((f) => f.manager === CRDS_FIELD_MANAGER);
}

/**
 * Installs the CRDs with server-side apply through the runtime's KubeClient (skipping those in
 * {@link INSTALL_IF_ABSENT} that exist and are not keyfleet's) and waits until each is Established.
 * @param timeoutMs per CRD. Default 60000.
 */
export async function installCrds(
  kube: KubeClient,
  crds: CrdManifest[] = keyfleetCrds(),
  timeoutMs = 60_000,
  clock: Clock = systemClock,
): Promise<string[]> {
  const installed: string[] = [];
  for (const crd of crds) {
    const name = crd.metadata.name;
    if (INSTALL_IF_ABSENT.has(name)) {
      const existing = await kube.readCrd(name);
      if (existing && !appliedByKeyfleet(existing)) continue;
    }
    await kube.applyCrd(crd, CRDS_FIELD_MANAGER);
    installed.push(name);
  }
  for (const crd of crds) {
    const name = crd.metadata.name;
    const deadline = clock.nowMs() + timeoutMs;
    for (;;) {
      const current = await kube.readCrd(name);
      if (current?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (clock.nowMs() > deadline) throw new Error(`CRD ${name} was not Established within ${timeoutMs} ms`);
      await clock.sleep(100);
    }
  }
  return installed;
}
