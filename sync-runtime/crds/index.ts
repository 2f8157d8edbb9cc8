/**
 * Every CRD the runtime serves, for the Pulumi SyncRuntime component (`keyfleetCrds()`) and for
 * `installCrds` (tests, demo, `keyfleet run --install-crds`).
 */
import * as k8s from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
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
function appliedByKeyfleet(crd: k8s.V1CustomResourceDefinition): boolean {
  return (crd.metadata?.managedFields ?? []).some((f) => f.manager === CRDS_FIELD_MANAGER);
}

/**
 * Installs the CRDs with server-side apply (skipping those in {@link INSTALL_IF_ABSENT} that exist and are not
 * keyfleet's) and waits until each is Established.
 * @param timeoutMs per CRD. Default 60000.
 */
export async function installCrds(
  kubeConfig: k8s.KubeConfig,
  crds: CrdManifest[] = keyfleetCrds(),
  timeoutMs = 60_000,
): Promise<string[]> {
  const api = kubeConfig.makeApiClient(k8s.ApiextensionsV1Api);
  const installed: string[] = [];
  for (const crd of crds) {
    const name = crd.metadata.name;
    if (INSTALL_IF_ABSENT.has(name)) {
      try {
        const existing = await api.readCustomResourceDefinition({ name });
        if (!appliedByKeyfleet(existing)) continue;
      } catch (error) {
        if (!(error instanceof k8s.ApiException && error.code === 404)) throw error;
      }
    }
    await api.patchCustomResourceDefinition(
      { name, body: crd, fieldManager: CRDS_FIELD_MANAGER, force: true },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.ServerSideApply),
    );
    installed.push(name);
  }
  for (const crd of crds) {
    const name = crd.metadata.name;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await api.readCustomResourceDefinition({ name });
      if (current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established within ${timeoutMs} ms`);
      await sleep(100);
    }
  }
  return installed;
}
