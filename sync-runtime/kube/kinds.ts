/**
 * The kinds the runtime's informers list and watch (see informers.ts): core Secrets, custom resources by
 * group/version/plural, and any kind given as a path and a list function (the restart controller's workloads).
 * API clients share the KubeConfig's connection pool (client.ts `makeApiClient`).
 */
import * as k8s from "@kubernetes/client-node";
import { MANAGED_SECRET_LABEL } from "../constants.ts";
import type { CustomResource } from "./client.ts";
import { makeApiClient } from "./pool.ts";
import type { ListQuery, Retention, WatchedKind } from "./informers.ts";

const page = (query: ListQuery) => ({
  limit: query.limit,
  ...(query.labelSelector !== undefined ? { labelSelector: query.labelSelector } : {}),
  ...(query.continueToken ? { _continue: query.continueToken } : {}),
});

/** Core v1 Secrets. */
export function secretsKind(kubeConfig: k8s.KubeConfig): WatchedKind<k8s.V1Secret> {
  const core = makeApiClient(kubeConfig, k8s.CoreV1Api);
  return {
    id: "secrets",
    path: (namespace) => (namespace ? `/api/v1/namespaces/${namespace}/secrets` : "/api/v1/secrets"),
    listPage: (namespace, query) =>
      namespace
        ? core.listNamespacedSecret({ namespace, ...page(query) })
        : core.listSecretForAllNamespaces(page(query)),
  };
}

/**
 * The retention of the runtime's one Secret cache (every Secret of the served namespaces). The SecretSync
 * controller reads the data of the Secrets it manages (a partial sync keeps the last value of a failed item) and
 * only the metadata of others (a foreign Secret of a SecretSync's name is refused, never adopted); the restart
 * controller fingerprints each Secret as it arrives and never reads the cache. So values are kept only for
 * Secrets that carry the managed label.
 */
export const VALUES_OF_MANAGED_SECRETS: Retention<k8s.V1Secret> = {
  name: "values-of-managed-secrets",
  apply(secret) {
    // Assigned, not deleted: `delete` turns a V8 object into a hash table, larger than the values it dropped.
    if (secret.metadata?.labels?.[MANAGED_SECRET_LABEL] === undefined) secret.data = undefined;
  },
};

/** A custom resource (SecretSync, SecretProviderClass, AKVSync, SecretProviderClassPodStatus). */
export function customKind<T extends k8s.KubernetesObject = k8s.KubernetesObject>(
  kubeConfig: k8s.KubeConfig,
  resource: CustomResource,
): WatchedKind<T> {
  const custom = makeApiClient(kubeConfig, k8s.CustomObjectsApi);
  const { group, version, plural } = resource;
  return {
    id: `${plural}.${group}`,
    path: (namespace) =>
      namespace
        ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
        : `/apis/${group}/${version}/${plural}`,
    listPage: async (namespace, query) =>
      (namespace
        ? await custom.listNamespacedCustomObject({ group, version, plural, namespace, ...page(query) })
        : await custom.listClusterCustomObject({
            group,
            version,
            plural,
            ...page(query),
          })) as k8s.KubernetesListObject<T>,
  };
}

/** A kind given by its watch path and an unpaged list (small lists such as workloads). */
export function listedKind<T extends k8s.KubernetesObject>(
  id: string,
  path: (namespace?: string) => string,
  list: (namespace?: string) => Promise<T[]>,
): WatchedKind<T> {
  return {
    id,
    path,
    listPage: async (namespace) => ({
      apiVersion: "v1",
      kind: "List",
      items: await list(namespace),
      metadata: {},
    }),
  };
}
