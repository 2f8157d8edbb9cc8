/**
 * Reconstructs the fleet from a stack's resource graph (pure): which cluster each resource belongs to, the sync
 * engine(s) on each cluster with their poll and jitter, and how many vault objects each cluster reads from each
 * vault per poll. The stack-level rules judge this model, so the policy pack needs nothing but the resources
 * Pulumi registers — it works the same under `pulumi preview --policy-pack` and in `npm run policy:check`.
 *
 * Cluster boundary: the nearest `keyfleet:index:ClusterSecrets` ancestor (its name is the cluster name); without
 * one, the Kubernetes provider (one per cluster) or the Azure cluster name the engine resource names.
 */
import { parse } from "yaml";
import {
  ENGINE_SETTING_DEFAULTS,
  EngineKind,
  ExtensionType,
  ResourceType,
  RuntimeEnv,
} from "../lib/constants.ts";
import { parseDurationSeconds, parseWholeSeconds } from "../lib/duration.ts";
import { arrayAt, at, booleanSetting, objectAt, stringAt, type Props } from "../lib/props.ts";

/** The subset of `PolicyResource` the model reads (the harness builds the same shape from a capture). */
export interface GraphResource {
  type: string;
  name: string;
  urn: string;
  props: Props;
  parent?: GraphResource;
  provider?: { urn: string; name: string; type?: string };
}

/** One sync engine found on a cluster, with the settings it declares. */
export interface EngineObservation {
  engine: EngineKind;
  cluster: string;
  urn: string;
  name: string;
  /** Poll interval in seconds; undefined when the graph does not show it (see {@link missing}). */
  pollSeconds?: number;
  /** Jitter upper bound in seconds (0 for engines without jitter); undefined when not shown. */
  jitterSeconds?: number;
  /** Whether rotation is on (add-on and CSI extension); undefined when the engine always rotates. */
  rotationEnabled?: boolean;
  /** Why poll/jitter could not be read, when they could not. */
  missing?: string;
}

/** Objects one resource (SecretProviderClass / AKVSync) reads from a vault per poll. */
export interface VaultRead {
  cluster: string;
  vault: string;
  objects: number;
  urn: string;
  name: string;
}

/** A problem found while reading the graph (an object list that cannot be counted, ...). */
export interface GraphProblem {
  urn: string;
  message: string;
}

/** The fleet as the resource graph shows it. */
export interface FleetModel {
  /** Every engine found, in graph order. */
  engines: EngineObservation[];
  /** Every vault read found, in graph order. */
  reads: VaultRead[];
  /** Subscription id per vault name, where a vault id or role-assignment scope shows it. */
  subscriptionByVault: Map<string, string>;
  problems: GraphProblem[];
}

/** The cluster a resource belongs to (see the file note). */
export function clusterOf(resource: GraphResource): string {
  for (let r: GraphResource | undefined = resource.parent; r; r = r.parent) {
    if (r.type === ResourceType.clusterSecrets) return r.name;
  }
  if (resource.type === ResourceType.clusterSecrets) return resource.name;
  if (resource.provider && resource.type.startsWith("kubernetes:"))
    return `provider ${resource.provider.name}`;
  const azureName = stringAt(resource.props, "clusterName") ?? stringAt(resource.props, "resourceName");
  return azureName ? `cluster ${azureName}` : `resource ${resource.name}`;
}

function addonObservation(r: GraphResource): EngineObservation | undefined {
  const addon = objectAt(r.props, "addonProfiles.azureKeyvaultSecretsProvider");
  if (!addon || booleanSetting(addon.enabled) !== true) return undefined;
  const poll = stringAt(addon, "config.rotationPollInterval") ?? ENGINE_SETTING_DEFAULTS.aksAddonPoll;
  const pollSeconds = parseDurationSeconds(poll);
  return {
    engine: EngineKind.aksAddon,
    cluster: clusterOf(r),
    urn: r.urn,
    name: r.name,
    pollSeconds,
    jitterSeconds: 0,
    rotationEnabled: booleanSetting(at(addon, "config.enableSecretRotation")) ?? false,
    missing:
      pollSeconds === undefined ? `rotationPollInterval "${poll}" is not a duration such as "2m"` : undefined,
  };
}

function extensionObservation(r: GraphResource): EngineObservation | undefined {
  const type = stringAt(r.props, "extensionType")?.toLowerCase();
  const settings = objectAt(r.props, "configurationSettings") ?? {};
  const base = { cluster: clusterOf(r), urn: r.urn, name: r.name };
  if (type === ExtensionType.secretStore) {
    const pollSeconds = parseWholeSeconds(
      settings.rotationPollIntervalInSeconds ?? String(ENGINE_SETTING_DEFAULTS.arcPollSeconds),
    );
    const jitterSeconds = parseWholeSeconds(
      settings.jitterSeconds ?? String(ENGINE_SETTING_DEFAULTS.arcJitterSeconds),
    );
    const missing =
      pollSeconds === undefined || jitterSeconds === undefined
        ? "rotationPollIntervalInSeconds and jitterSeconds must be whole seconds as strings"
        : undefined;
    return {
      engine: EngineKind.arcExtension,
      ...base,
      pollSeconds,
      jitterSeconds,
      missing: missing || undefined,
    };
  }
  if (type === ExtensionType.csiProvider) {
    const poll = String(
      settings["secrets-store-csi-driver.rotationPollInterval"] ?? ENGINE_SETTING_DEFAULTS.arcCsiPoll,
    );
    const pollSeconds = parseDurationSeconds(poll);
    return {
      engine: EngineKind.arcCsiExtension,
      ...base,
      pollSeconds,
      jitterSeconds: 0,
      rotationEnabled: booleanSetting(settings["secrets-store-csi-driver.enableSecretRotation"]) ?? false,
      missing: pollSeconds === undefined ? `rotationPollInterval "${poll}" is not a duration` : undefined,
    };
  }
  return undefined;
}

/** Env entries (name → literal value, or null when set from a reference) of a Deployment's containers. */
function containerEnv(r: GraphResource): Map<string, string | null> {
  const env = new Map<string, string | null>();
  for (const container of arrayAt(r.props, "spec.template.spec.containers") ?? []) {
    for (const entry of arrayAt(container, "env") ?? []) {
      const name = stringAt(entry, "name");
      if (name) env.set(name, typeof at(entry, "value") === "string" ? (at(entry, "value") as string) : null);
    }
  }
  return env;
}

function runtimeObservation(r: GraphResource): EngineObservation | undefined {
  const env = containerEnv(r);
  if (!env.has(RuntimeEnv.rotationPollIntervalSeconds) && !env.has(RuntimeEnv.jitterSeconds))
    return undefined;
  const pollSeconds = parseWholeSeconds(env.get(RuntimeEnv.rotationPollIntervalSeconds) ?? undefined);
  const jitterSeconds = parseWholeSeconds(env.get(RuntimeEnv.jitterSeconds) ?? undefined);
  const missing =
    pollSeconds === undefined || jitterSeconds === undefined
      ? `${RuntimeEnv.rotationPollIntervalSeconds} and ${RuntimeEnv.jitterSeconds} must be literal whole seconds (plain stack config, not a reference)`
      : undefined;
  return {
    engine: EngineKind.bundled,
    cluster: clusterOf(r),
    urn: r.urn,
    name: r.name,
    pollSeconds,
    jitterSeconds,
    missing: missing || undefined,
  };
}

/**
 * The add-on on a cluster Pulumi does not own: no ManagedCluster in the graph, so the settings must come from
 * the component's own properties (`rotationPollIntervalSeconds`), or they are reported as not visible.
 */
function componentAddonObservation(
  r: GraphResource,
  all: readonly GraphResource[],
): EngineObservation | undefined {
  const ownsCluster = all.some((c) => c.type === ResourceType.managedCluster && c.parent?.urn === r.urn);
  if (ownsCluster) return undefined;
  const pollSeconds = parseWholeSeconds(at(r.props, "rotationPollIntervalSeconds"));
  return {
    engine: EngineKind.aksAddon,
    cluster: clusterOf(r),
    urn: r.urn,
    name: r.name,
    pollSeconds,
    jitterSeconds: 0,
    missing:
      pollSeconds === undefined
        ? "the add-on runs on an existing AKS cluster and the graph does not show its rotationPollInterval " +
          "(the AksSecretsProvider component should register rotationPollIntervalSeconds as a property)"
        : undefined,
  };
}

/** Objects per poll in a SecretProviderClass `objects` string, counting version history; undefined if unreadable. */
export function countSpcObjects(objects: string): number | undefined {
  let doc: unknown;
  try {
    doc = parse(objects);
  } catch {
    return undefined;
  }
  const entries = arrayAt(doc, "array");
  if (!entries) return undefined;
  let count = 0;
  for (const entry of entries) {
    let item: unknown;
    try {
      item = typeof entry === "string" ? parse(entry) : entry;
    } catch {
      return undefined;
    }
    if (!stringAt(item, "objectName")) return undefined;
    const history = Number(at(item, "objectVersionHistory") ?? 1);
    count += Number.isInteger(history) && history > 1 ? history : 1;
  }
  return count;
}

/** Objects per poll in an AKVSync spec (each object, each mapping entry, with version history). */
function countAkvSyncObjects(spec: unknown): number {
  let count = 0;
  for (const object of arrayAt(spec, "objects") ?? []) {
    const mapping = arrayAt(object, "mapping");
    if (mapping) count += mapping.length;
    else count += Math.max(1, Number(at(object, "versionHistory") ?? 1) || 1);
  }
  return count;
}

function readOf(r: GraphResource, problems: GraphProblem[]): VaultRead | undefined {
  const base = { cluster: clusterOf(r), urn: r.urn, name: r.name };
  if (r.type === ResourceType.secretProviderClass) {
    if (stringAt(r.props, "spec.provider") !== "azure") return undefined;
    const vault = stringAt(r.props, "spec.parameters.keyvaultName");
    const objects = stringAt(r.props, "spec.parameters.objects");
    if (!vault || objects === undefined) {
      problems.push({
        urn: r.urn,
        message: "SecretProviderClass has no spec.parameters.keyvaultName or objects",
      });
      return undefined;
    }
    const count = countSpcObjects(objects);
    if (count === undefined) {
      problems.push({
        urn: r.urn,
        message:
          "cannot count the objects in spec.parameters.objects (expected `array:` of YAML strings with objectName)",
      });
      return undefined;
    }
    return { ...base, vault, objects: count };
  }
  if (r.type === ResourceType.akvSync) {
    const vault = stringAt(r.props, "spec.keyvaultName");
    if (!vault) {
      problems.push({ urn: r.urn, message: "AKVSync has no spec.keyvaultName" });
      return undefined;
    }
    return { ...base, vault, objects: countAkvSyncObjects(at(r.props, "spec")) };
  }
  return undefined;
}

const SUBSCRIPTION_IN_ID = /^\/subscriptions\/([^/]+)\/.*\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)/i;

/**
 * The engine a resource declares, if any: the add-on on a ManagedCluster, an Arc extension, the bundled
 * runtime's Deployment, or the add-on component on a cluster Pulumi does not own (needs `all` to tell).
 */
export function observeEngine(
  r: GraphResource,
  all: readonly GraphResource[] = [],
): EngineObservation | undefined {
  if (r.type === ResourceType.managedCluster) return addonObservation(r);
  if (r.type === ResourceType.extension) return extensionObservation(r);
  if (r.type === ResourceType.deployment) return runtimeObservation(r);
  if (r.type === ResourceType.aksSecretsProvider) return componentAddonObservation(r, all);
  return undefined;
}

/** Builds the {@link FleetModel} of a resource graph (pure). */
export function buildFleetModel(resources: readonly GraphResource[]): FleetModel {
  const model: FleetModel = { engines: [], reads: [], subscriptionByVault: new Map(), problems: [] };
  for (const r of resources) {
    const engine = observeEngine(r, resources);
    if (engine) model.engines.push(engine);
    const read = readOf(r, model.problems);
    if (read) model.reads.push(read);
    for (const id of [stringAt(r.props, "scope"), stringAt(r.props, "id")]) {
      const match = id ? SUBSCRIPTION_IN_ID.exec(id) : null;
      if (match) model.subscriptionByVault.set(match[2]!, match[1]!);
    }
  }
  return model;
}
