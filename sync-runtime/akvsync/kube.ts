/**
 * The Kubernetes calls the AKVSync controller makes, over @kubernetes/client-node: server-side apply of
 * generated objects, guarded deletes (uid precondition, so a re-created object of the same name is never hit),
 * namespace lists, and status writes through the status subresource.
 */
import * as k8s from "@kubernetes/client-node";
import { AKVSYNC_FIELD_MANAGER, AKVSYNC_PLURAL } from "./constants.ts";
import type { GeneratedObject } from "./expand.ts";
import type { ExistingObject } from "./plan.ts";
import type { AkvSyncStatus, ObjectMeta } from "./types.ts";

/** Group/version/plural of the kinds the controller handles. */
export const RESOURCES = {
  SecretProviderClass: {
    group: "secrets-store.csi.x-k8s.io",
    version: "v1",
    plural: "secretproviderclasses",
  },
  SecretSync: { group: "secret-sync.x-k8s.io", version: "v1alpha1", plural: "secretsyncs" },
  AKVSync: { group: "secret-sync.x-k8s.io", version: "v1alpha1", plural: AKVSYNC_PLURAL },
} as const;

const MERGE_PATCH = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
const APPLY_PATCH = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.ServerSideApply);

/** Thin client for the AKVSync controller. */
export class AkvSyncKube {
  private readonly custom: k8s.CustomObjectsApi;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  }

  /** Server-side applies a generated object (field manager keyfleet-akvsync; forced: the plan checked ownership). */
  async apply(object: GeneratedObject): Promise<void> {
    const resource = RESOURCES[object.kind];
    await this.custom.patchNamespacedCustomObject(
      {
        ...resource,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        body: object,
        fieldManager: AKVSYNC_FIELD_MANAGER,
        force: true,
      },
      APPLY_PATCH,
    );
  }

  /** Deletes an object only if it is still the one planned (uid precondition); a 404 counts as done. */
  async delete(object: ExistingObject): Promise<void> {
    const resource = RESOURCES[object.kind];
    try {
      await this.custom.deleteNamespacedCustomObject({
        ...resource,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        body: {
          preconditions: object.metadata.uid ? { uid: object.metadata.uid } : {},
          propagationPolicy: "Background",
        },
      });
    } catch (error) {
      if (!(error instanceof k8s.ApiException && error.code === 404)) throw error;
    }
  }

  /** Lists SecretProviderClasses and SecretSyncs of a namespace (missing CRDs count as none). */
  async listExisting(namespace: string): Promise<ExistingObject[]> {
    const out: ExistingObject[] = [];
    for (const kind of ["SecretProviderClass", "SecretSync"] as const) {
      let list: { items?: Array<{ metadata: ObjectMeta; spec?: { secretObject?: { type?: string } } }> };
      try {
        list = (await this.custom.listNamespacedCustomObject({
          ...RESOURCES[kind],
          namespace,
        })) as typeof list;
      } catch (error) {
        if (error instanceof k8s.ApiException && error.code === 404) continue;
        throw error;
      }
      for (const item of list.items ?? []) {
        const secretType = kind === "SecretSync" ? (item.spec?.secretObject?.type ?? "Opaque") : undefined;
        out.push({ kind, metadata: item.metadata, ...(secretType !== undefined ? { secretType } : {}) });
      }
    }
    return out;
  }

  /** Replaces `status` through the status subresource. */
  async writeStatus(namespace: string, name: string, status: AkvSyncStatus): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        ...RESOURCES.AKVSync,
        namespace,
        name,
        body: { status: { ...status, objects: status.objects ?? [] } },
      },
      MERGE_PATCH,
    );
  }

  /** Reads one AKVSync, or undefined when it is gone. */
  async readAkvSync<T>(namespace: string, name: string): Promise<T | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...RESOURCES.AKVSync, namespace, name })) as T;
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  /** List function for an informer of `kind` (one namespace or all). */
  lister<T extends k8s.KubernetesObject>(
    kind: keyof typeof RESOURCES,
    namespace?: string,
  ): () => Promise<k8s.KubernetesListObject<T>> {
    const resource = RESOURCES[kind];
    return async () =>
      (namespace
        ? await this.custom.listNamespacedCustomObject({ ...resource, namespace })
        : await this.custom.listClusterCustomObject(resource)) as k8s.KubernetesListObject<T>;
  }

  /** Watch path for an informer of `kind`. */
  static watchPath(kind: keyof typeof RESOURCES, namespace?: string): string {
    const { group, version, plural } = RESOURCES[kind];
    return namespace
      ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
      : `/apis/${group}/${version}/${plural}`;
  }
}
