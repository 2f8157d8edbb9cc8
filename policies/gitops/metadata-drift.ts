/**
 * Labels and annotations added by hand (pure): `kubectl label`, `kubectl annotate`, or `kubectl edit` adding a key.
 * The program's declared keys are compared elsewhere (a changed value is a difference like any other); a key the
 * program does not declare is invisible to the provider's diff, and `pulumi up --refresh` keeps it (server-side
 * apply removes only fields Pulumi's own field manager owned; checked with 3.276 and provider 4.25). But extra keys
 * are also how the cluster's own automation works: the Deployment controller writes
 * `deployment.kubernetes.io/revision`, keyfleet's restarter writes `keyfleet.io/restarted-for` into pod templates.
 *
 * The rule reads who wrote each key from the live object's `metadata.managedFields`, which the refresh step's
 * outputs carry for every Kubernetes object (the provider reads the whole object back): a key is drift when the
 * program does not declare it, the live object has it, and a field manager other than the automation below owns it.
 * Unowned keys (e.g. the `kubernetes.io/metadata.name` label the apiserver puts on a Namespace at creation, which
 * goes to the creator) are not drift. Field manager names are chosen by the client, so this is attribution, not
 * proof: it tells a person's `kubectl` from the controllers that share the cluster, which is what a nightly drift
 * job needs, without a second read of the cluster beside the preview.
 *
 * In scope: the object's own metadata and its pod template's (`spec.template.metadata`, and a CronJob's
 * `spec.jobTemplate.spec.template.metadata`), because a hand-added pod label changes which pods Services,
 * NetworkPolicies and PodDisruptionBudgets select, and a pod annotation changes how pods run. The one exception is
 * `kubectl rollout restart`'s `kubectl.kubernetes.io/restartedAt`: a record of a restart, not configuration.
 *
 * A real cluster also runs other teams' controllers that label and annotate objects under their own field managers
 * (Argo CD's `argocd-controller`, Flux's `kustomize-controller`, Reloader, policy agents). The caller names them
 * (`keyfleet drift --ignore-manager`, exact names or prefixes ending in `*`): their keys are not drift, and the
 * result says which of them added keys, so the report can show the rule in force and whether it is still needed.
 * A field conflict (another manager owning a field the program sets) is reported whoever the manager is: the
 * engine's preview fails on it and `pulumi up --refresh` takes the field back, so it is never someone's addition.
 */
import type { Props } from "../lib/props.ts";
import { AKVSYNC_FIELD_MANAGER } from "../../sync-runtime/akvsync/constants.ts";
import { FIELD_MANAGER } from "../../sync-runtime/constants.ts";
import { CRDS_FIELD_MANAGER } from "../../sync-runtime/crds/index.ts";
import { RESTART_COMPONENT } from "../../sync-runtime/restarts/constants.ts";

/** The Kubernetes provider's field managers: `pulumi-kubernetes-<8 hex>`, one per resource. */
const PULUMI_MANAGER = /^pulumi-kubernetes(-|$)/;

/** Field managers of the cluster's own components (the Deployment controller writes under kube-controller-manager). */
export const KUBERNETES_MANAGERS: readonly string[] = [
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubelet",
  "cloud-controller-manager",
];

/** keyfleet's runtime: the SecretSync reconciler, the AKVSync controller, the restarter, the CRD installer. */
export const KEYFLEET_MANAGERS: readonly string[] = [
  FIELD_MANAGER,
  AKVSYNC_FIELD_MANAGER,
  RESTART_COMPONENT,
  CRDS_FIELD_MANAGER,
];

/** Keys that record an action rather than configure the object: never drift, whoever wrote them. */
export const ACTION_KEYS: ReadonlySet<string> = new Set(["kubectl.kubernetes.io/restartedAt"]);

/**
 * True when a rule of `--ignore-manager` names `manager`: an exact name, or a prefix ending in `*` (`flux-*`).
 * Patterns are validated where they are read (args.ts).
 */
export function matchesManagerRule(patterns: readonly string[], manager: string): boolean {
  return patterns.some((p) => (p.endsWith("*") ? manager.startsWith(p.slice(0, -1)) : manager === p));
}

/** True for Pulumi's, Kubernetes' and keyfleet's own field managers. */
export function isAutomationManager(manager: string): boolean {
  return (
    PULUMI_MANAGER.test(manager) ||
    KUBERNETES_MANAGERS.includes(manager) ||
    KEYFLEET_MANAGERS.includes(manager)
  );
}

/** Where an object carries metadata maps (the object itself, a pod template, a CronJob's pod template). */
const PLACES: readonly (readonly string[])[] = [
  ["metadata"],
  ["spec", "template", "metadata"],
  ["spec", "jobTemplate", "spec", "template", "metadata"],
];
const MAPS = ["labels", "annotations"] as const;

/** One entry of `metadata.managedFields` (the fields read here). */
interface ManagedFieldsEntry {
  manager?: string;
  fieldsV1?: Props;
}

function child(value: unknown, key: string): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Props)[key]
    : undefined;
}

function keysOf(value: unknown): string[] {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
}

/** The label and annotation keys a managedFields entry owns at `place` (FieldsV1 spells a key `f:<key>`). */
function ownedKeys(fields: Props | undefined, place: readonly string[], map: string): string[] {
  let node: unknown = fields;
  for (const key of [...place, map]) node = child(node, `f:${key}`);
  return keysOf(node)
    .filter((k) => k.startsWith("f:"))
    .map((k) => k.slice(2));
}

/** Labels and annotations added outside Pulumi and its automation, by path, and who added them. */
export interface MetadataDrift {
  /** `metadata.labels["team"]`, `spec.template.metadata.annotations["example.com/x"]` (keys, never values). */
  paths: string[];
  /** The field managers that own those keys, sorted. */
  managers: string[];
  /** Managers the ignore rule matched that own such keys (not in `paths`), sorted. */
  ignored: string[];
}

/**
 * Label and annotation keys on the live object (a refresh step's outputs, with `metadata.managedFields`) that the
 * program does not declare (its inputs) and that a field manager other than Pulumi's, Kubernetes' and keyfleet's
 * owns, unless `ignoreManagers` (exact names, prefixes ending in `*`; default none) names it. Empty when the live
 * object has no managedFields.
 */
export function handAddedMetadata(
  declared: Props,
  live: Props,
  ignoreManagers: readonly string[] = [],
): MetadataDrift {
  const entries = child(child(live, "metadata"), "managedFields");
  if (!Array.isArray(entries)) return { paths: [], managers: [], ignored: [] };
  const paths = new Set<string>();
  const managers = new Set<string>();
  const ignored = new Set<string>();
  for (const entry of entries as ManagedFieldsEntry[]) {
    const manager = entry.manager ?? "";
    if (isAutomationManager(manager)) continue;
    const isIgnored = matchesManagerRule(ignoreManagers, manager);
    for (const place of PLACES)
      for (const map of MAPS) {
        let declaredMap: unknown = declared;
        let liveMap: unknown = live;
        for (const key of [...place, map]) {
          declaredMap = child(declaredMap, key);
          liveMap = child(liveMap, key);
        }
        for (const key of ownedKeys(entry.fieldsV1, place, map)) {
          if (ACTION_KEYS.has(key) || keysOf(declaredMap).includes(key) || !keysOf(liveMap).includes(key))
            continue;
          if (isIgnored) {
            ignored.add(manager);
            continue;
          }
          paths.add(`${[...place, map].join(".")}[${JSON.stringify(key)}]`);
          managers.add(manager || "(unnamed)");
        }
      }
  }
  return { paths: [...paths].sort(), managers: [...managers].sort(), ignored: [...ignored].sort() };
}
