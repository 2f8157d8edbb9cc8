/**
 * Least-privilege RBAC of the bundled runtime (pure; table-tested in rbac.test.ts).
 * Secrets: create/patch/get/list/watch — never delete (the garbage collector removes Secrets with their
 * SecretSync) and never update (server-side apply uses patch). TokenRequest only for the ServiceAccounts it
 * serves, granted per namespace by resourceNames. Events, its own CRDs and their status, workloads it restarts,
 * and Leases in its own namespace for leader election.
 */
import { AKVSYNC, SECRET_PROVIDER_CLASS, SECRET_SYNC, SPC_POD_STATUS } from "../../common/vocabulary.ts";
import type { ServiceAccountRef } from "../workload-identity/properties.ts";

/** A Kubernetes PolicyRule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Verbs on Secrets. Deliberately no delete/update/deletecollection. */
export const SECRET_VERBS = ["get", "list", "watch", "create", "patch"] as const;
const READ = ["get", "list", "watch"];

/** Cluster-wide rules of the runtime's ClusterRole. */
export function clusterRules(): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["secrets"], verbs: [...SECRET_VERBS] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
    // SecretProviderClasses and SecretSyncs: read all; create/patch/delete the ones an AKVSync generates (the
    // controller deletes only objects it owns, when an item leaves the AKVSync). Secrets are never deleted.
    {
      apiGroups: [SECRET_PROVIDER_CLASS.group],
      resources: [SECRET_PROVIDER_CLASS.plural],
      verbs: [...READ, "create", "patch", "delete"],
    },
    { apiGroups: [SPC_POD_STATUS.group], resources: [SPC_POD_STATUS.plural], verbs: READ },
    {
      apiGroups: [SECRET_SYNC.group],
      resources: [SECRET_SYNC.plural],
      verbs: [...READ, "create", "patch", "delete"],
    },
    { apiGroups: [AKVSYNC.group], resources: [AKVSYNC.plural], verbs: READ },
    {
      apiGroups: [SECRET_SYNC.group],
      resources: [`${SECRET_SYNC.plural}/status`, `${AKVSYNC.plural}/status`],
      verbs: ["get", "patch", "update"],
    },
    // Restarts: patch one pod-template annotation.
    {
      apiGroups: ["apps"],
      resources: ["deployments", "statefulsets", "daemonsets"],
      verbs: [...READ, "patch"],
    },
  ];
}

/** Rules in the runtime's own namespace: leader-election Leases. */
export function leaseRules(): PolicyRule[] {
  return [
    {
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      verbs: ["get", "list", "watch", "create", "update", "patch"],
    },
  ];
}

/** Per served namespace: TokenRequest for exactly its ServiceAccounts (pure; names sorted, deduplicated). */
export function tokenRequestRules(serviceAccounts: readonly ServiceAccountRef[]): Map<string, PolicyRule[]> {
  const byNamespace = new Map<string, Set<string>>();
  for (const sa of serviceAccounts) {
    const names = byNamespace.get(sa.namespace) ?? new Set<string>();
    names.add(sa.name);
    byNamespace.set(sa.namespace, names);
  }
  const out = new Map<string, PolicyRule[]>();
  for (const ns of [...byNamespace.keys()].sort()) {
    const names = [...byNamespace.get(ns)!].sort();
    out.set(ns, [
      { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"], resourceNames: names },
    ]);
  }
  return out;
}
