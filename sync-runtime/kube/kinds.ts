/**
 * The kinds the runtime's informers list (page by page) and watch (see informers.ts): core Secrets, and any
 * resource by group/version/plural — custom resources and the restart controller's apps/v1 workloads. API clients
 * share the KubeConfig's connection pool (pool.ts `makeApiClient`), like KubeClient's.
 */
import * as k8s from "@kubernetes/client-node";
import type { CustomResource } from "./client.ts";
import { makeApiClient } from "./pool.ts";
import type { ListQuery, WatchedKind } from "./informers.ts";

const page = (query: ListQuery) => ({
  limit: query.limit,
  labelSelector: query.labelSelector,
  _continue: query.continueToken || undefined,
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

/** A resource by group/version/plural (SecretSync, SecretProviderClass, AKVSync, SecretProviderClassPodStatus, apps/v1 workloads). */
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
