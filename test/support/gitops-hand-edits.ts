/**
 * The hand edits the GitOps integration test makes on the `local` stack's objects, as a person with `kubectl` would:
 * a subject appended to a RoleBinding (`kubectl patch --type json`), a SecretSync's `sourcePath` replaced (a field
 * the program sets), a label added to the RoleBinding (`kubectl label`, field manager `kubectl-label`) and an
 * annotation to the SecretSync (`kubectl annotate`, field manager `kubectl-annotate`); and, as another team's
 * controller would, a label under Argo CD's field manager (`argocd-controller`), which `--ignore-manager` hides.
 * Values are made up; none is a secret.
 */
import * as k8s from "@kubernetes/client-node";

/** The label and annotation the edits add (the drift report must name the keys and never the values). */
export const HAND_LABEL = { key: "team", value: "payments-oncall" } as const;
export const HAND_ANNOTATION = { key: "example.com/ticket", value: "OPS-4711" } as const;
/** The label a controller adds to the RoleBinding, and its field manager. */
export const CONTROLLER_LABEL = {
  key: "argocd.argoproj.io/instance",
  value: "keyfleet-local",
  manager: "argocd-controller",
} as const;
/** The subject appended to the RoleBinding. */
export const HAND_SUBJECT = "mallory";

const APP_CONFIG = {
  group: "secret-sync.x-k8s.io",
  version: "v1alpha1",
  namespace: "demo",
  plural: "secretsyncs",
  name: "app-config",
} as const;
const TOKENS_BINDING = { namespace: "demo", name: "keyfleet-sync-runtime-tokens" } as const;

/** Makes the four hand edits and the controller's label through the admin kubeconfig. */
export async function editByHand(kc: k8s.KubeConfig): Promise<void> {
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const objects = kc.makeApiClient(k8s.CustomObjectsApi);
  const jsonPatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch);
  const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
  await rbac.patchNamespacedRoleBinding(
    {
      ...TOKENS_BINDING,
      body: [
        {
          op: "add",
          path: "/subjects/-",
          value: { kind: "User", name: HAND_SUBJECT, apiGroup: "rbac.authorization.k8s.io" },
        },
      ],
    },
    jsonPatch,
  );
  await objects.patchNamespacedCustomObject(
    {
      ...APP_CONFIG,
      // Key `token` now reads the object behind `password`: a field the program set, taken over by this client.
      body: [{ op: "replace", path: "/spec/secretObject/data/1/sourcePath", value: "password" }],
    },
    jsonPatch,
  );
  // `kubectl label` and `kubectl annotate` send merge patches under these field manager names.
  await rbac.patchNamespacedRoleBinding(
    {
      ...TOKENS_BINDING,
      fieldManager: "kubectl-label",
      body: { metadata: { labels: { [HAND_LABEL.key]: HAND_LABEL.value } } },
    },
    mergePatch,
  );
  await rbac.patchNamespacedRoleBinding(
    {
      ...TOKENS_BINDING,
      fieldManager: CONTROLLER_LABEL.manager,
      body: { metadata: { labels: { [CONTROLLER_LABEL.key]: CONTROLLER_LABEL.value } } },
    },
    mergePatch,
  );
  await objects.patchNamespacedCustomObject(
    {
      ...APP_CONFIG,
      fieldManager: "kubectl-annotate",
      body: { metadata: { annotations: { [HAND_ANNOTATION.key]: HAND_ANNOTATION.value } } },
    },
    mergePatch,
  );
}
