/**
 * Runs keyfleet's runtime on the proving ground the way the SyncRuntime component deploys it: as its own
 * ServiceAccount, with the component's RBAC (components/sync-runtime/rbac.ts) and admission policies
 * (components/sync-runtime/admission.ts) applied from the same pure builders, so the real kube-apiserver enforces
 * exactly what the component declares. Cluster-scoped objects get a unique name prefix and the policy bindings a
 * unique namespace selector, so parallel test files never see each other's policies.
 */
import * as k8s from "@kubernetes/client-node";
import { admissionPolicies } from "../../components/sync-runtime/admission.ts";
import type { AdmissionPolicySettings } from "../../components/sync-runtime/admission.ts";
import { clusterRules, tokenRequestRules } from "../../components/sync-runtime/rbac.ts";
import { RUNTIME_NAME } from "../../components/sync-runtime/workload.ts";
import type { KubeHelper } from "./kube.ts";
import { waitFor } from "./kube.ts";
import { HASH_KEY_SECRET_NAME } from "../../sync-runtime/hash-key.ts";
import { SECRET_SYNC } from "../../common/vocabulary.ts";

/** The runtime's identity on the ground. */
export interface RuntimeIdentity {
  /** Its namespace (hash-key Secret). */
  namespace: string;
  /** `system:serviceaccount:<namespace>:keyfleet-sync-runtime`. */
  username: string;
  /** A kubeconfig that authenticates as the runtime's ServiceAccount. */
  kubeConfig: k8s.KubeConfig;
  /** Label a namespace must carry for the SecretSync policy's binding to apply there. */
  policyNamespaceLabel: { key: string; value: string };
  /**
   * Labels `namespace` with {@link policyNamespaceLabel} and waits until the SecretSync policy refuses there (the
   * apiserver sees a namespace's new labels, and each new policy, a moment after they are stored).
   */
  bindNamespace(namespace: string): Promise<void>;
  /** Names of the admission policies (for matching the apiserver's messages). */
  policyNames: string[];
  /** Removes everything cluster-scoped it created, and its namespace. */
  cleanup(): Promise<void>;
}

/** Options of {@link createRuntimeIdentity}. */
export interface RuntimeIdentityOptions {
  /** Namespace prefix (unique suffix added). */
  prefix: string;
  /** ServiceAccounts the runtime may request tokens for. */
  servedServiceAccounts: Array<{ namespace: string; name: string }>;
  /** Admission policy settings; the namespace selector is set by this helper. Default: on, no extra types. */
  admission?: Omit<AdmissionPolicySettings, "namespaceSelector">;
}

function kubeConfigWithToken(admin: k8s.KubeConfig, token: string): k8s.KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("the admin kubeconfig names no cluster");
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: RUNTIME_NAME, token }],
    contexts: [{ name: RUNTIME_NAME, cluster: cluster.name, user: RUNTIME_NAME }],
    currentContext: RUNTIME_NAME,
  });
  return kc;
}

/** Creates the runtime's ServiceAccount, RBAC and admission policies; waits until the policies are enforced. */
export async function createRuntimeIdentity(
  kube: KubeHelper,
  options: RuntimeIdentityOptions,
): Promise<RuntimeIdentity> {
  const namespace = await kube.namespace(options.prefix, [RUNTIME_NAME]);
  const unique = namespace;
  const username = `system:serviceaccount:${namespace}:${RUNTIME_NAME}`;
  const objects = k8s.KubernetesObjectApi.makeApiClient(kube.kubeConfig);
  const apply = (object: k8s.KubernetesObject) =>
    objects.patch(object, undefined, undefined, "keyfleet-tests", true, k8s.PatchStrategy.ServerSideApply);
  const subject = [{ kind: "ServiceAccount", name: RUNTIME_NAME, namespace }];
  const clusterScoped: k8s.KubernetesObject[] = [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: unique },
      rules: clusterRules(),
    } as k8s.KubernetesObject,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: unique },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: unique },
      subjects: subject,
    } as k8s.KubernetesObject,
  ];
  const policyNamespaceLabel = { key: "keyfleet.io/policy-test", value: unique };
  const policies = admissionPolicies({
    name: unique,
    runtimeServiceAccount: { namespace, name: RUNTIME_NAME },
    hashKeySecretName: HASH_KEY_SECRET_NAME,
    settings: {
      ...options.admission,
      namespaceSelector: { matchLabels: { [policyNamespaceLabel.key]: policyNamespaceLabel.value } },
    },
  });
  // The Secret policies match this runtime's user only; bind them everywhere (as the component does).
  for (const manifest of policies) {
    if (
      manifest.kind === "ValidatingAdmissionPolicyBinding" &&
      /-secret-(writes|deletes)$/.test(manifest.metadata.name)
    )
      delete (manifest.spec as { matchResources?: unknown }).matchResources;
  }
  clusterScoped.push(...(policies as unknown as k8s.KubernetesObject[]));
  for (const object of clusterScoped) await apply(object);
  for (const [servedNs, rules] of tokenRequestRules(options.servedServiceAccounts)) {
    const meta = { name: unique, namespace: servedNs };
    await apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: meta,
      rules,
    } as k8s.KubernetesObject);
    await apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: unique },
      subjects: subject,
    } as k8s.KubernetesObject);
  }
  const token = await kube.core.createNamespacedServiceAccountToken({
    namespace,
    name: RUNTIME_NAME,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  if (!token.status?.token) throw new Error(`TokenRequest for ${username} returned no token`);
  const kubeConfig = kubeConfigWithToken(kube.kubeConfig, token.status.token);
  const asRuntime = kubeConfig.makeApiClient(k8s.CoreV1Api);
  // Policies reach the apiserver's admission plugin a moment after they are stored: wait for a denial.
  await waitFor(
    "the admission policies to be enforced",
    async () => {
      try {
        await asRuntime.createNamespacedSecret({
          namespace,
          dryRun: "All",
          body: { metadata: { name: "policy-probe" }, stringData: { a: "b" } },
        });
        return undefined;
      } catch (error) {
        return error instanceof k8s.ApiException &&
          error.code !== 404 &&
          /ValidatingAdmissionPolicy/.test(String(error.body))
          ? true
          : undefined;
      }
    },
    30_000,
    200,
  );
  return {
    namespace,
    username,
    kubeConfig,
    policyNamespaceLabel,
    policyNames: policies.filter((p) => p.kind === "ValidatingAdmissionPolicy").map((p) => p.metadata.name),
    async bindNamespace(bound: string) {
      await kube.core.patchNamespace(
        {
          name: bound,
          body: { metadata: { labels: { [policyNamespaceLabel.key]: policyNamespaceLabel.value } } },
        },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
      const probe = {
        apiVersion: `${SECRET_SYNC.group}/${SECRET_SYNC.version}`,
        kind: SECRET_SYNC.kind,
        metadata: { name: "policy-probe", namespace: bound },
        spec: {
          serviceAccountName: "probe",
          secretProviderClassName: "probe",
          secretObject: {
            type: "Opaque",
            data: [{ sourcePath: "a", targetKey: "a" }],
            annotations: { "!probe": "" },
          },
        },
      };
      await waitFor(
        `the SecretSync metadata policy to apply in namespace ${bound}`,
        async () => {
          try {
            await objects.create(probe, undefined, "All");
            return undefined;
          } catch (error) {
            return error instanceof k8s.ApiException && /-secretsync-metadata'/.test(String(error.body))
              ? true
              : undefined;
          }
        },
        30_000,
        200,
      );
    },
    async cleanup() {
      for (const object of clusterScoped.reverse()) await objects.delete(object).catch(() => {});
      await kube.deleteNamespace(namespace);
    },
  };
}
