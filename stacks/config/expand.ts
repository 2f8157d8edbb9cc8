/**
 * Pure expansion of the parsed raw fleet into {@link FleetConfig}: cluster sets become clusters, engine
 * defaults and per-cluster overrides are applied, and every cross-field rule is checked. Problems are collected
 * (all of them, each naming its key path and what is allowed) rather than thrown one at a time.
 */
import {
  ENGINE_DEFAULTS,
  ENGINES,
  ENGINES_BY_KIND,
  ENGINES_WITH_JITTER,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
  type Engine,
  ObjectType,
} from "../../common/vocabulary.ts";
import type { RawCluster, RawFleet, RawNamespace, RawSyncSettings } from "./schema.ts";
import type { ClusterConfig, FleetConfig, NamespaceConfig, SyncSettings, VaultConfig } from "./types.ts";

/** One validation problem: the key path (below `keyfleet:fleet`) and a message saying what is allowed. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** A raw cluster plus where it came from, so messages can name the key path a user must edit. */
interface SourcedCluster {
  raw: RawCluster;
  path: string;
}

/** Expands cluster sets into named clusters (pure; names are `namePattern` with {region} and {index:03}). */
export function expandClusterSets(fleet: RawFleet): SourcedCluster[] {
  const out: SourcedCluster[] = fleet.clusters.map((raw, i) => ({ raw, path: `clusters[${i}]` }));
  fleet.clusterSets.forEach((set, j) => {
    for (const region of set.regions) {
      for (let index = 1; index <= set.countPerRegion; index++) {
        const name = set.namePattern
          .replaceAll("{region}", region)
          .replaceAll("{index}", String(index).padStart(3, "0"));
        const fill = (s: string | undefined) => s?.replaceAll("{region}", region).replaceAll("{name}", name);
        out.push({
          path: `clusterSets[${j}] (cluster ${name})`,
          raw: {
            ...set.cluster,
            name,
            vault: fill(set.cluster.vault) ?? set.cluster.vault,
            resourceGroup: fill(set.cluster.resourceGroup),
            location: set.cluster.location ?? region,
            oidcIssuerUrl: fill(set.cluster.oidcIssuerUrl),
            kubeconfig:
              set.cluster.kubeconfig?.from === "config-secret"
                ? {
                    from: "config-secret",
                    key: fill(set.cluster.kubeconfig.key) ?? set.cluster.kubeconfig.key,
                  }
                : set.cluster.kubeconfig,
          },
        });
      }
    }
  });
  return out;
}

/** Applies raw settings over a base (pure). */
export function mergeSync(base: SyncSettings, raw: RawSyncSettings | undefined): SyncSettings {
  return {
    rotationPollIntervalSeconds: raw?.rotationPollInterval ?? base.rotationPollIntervalSeconds,
    jitterSeconds: raw?.jitterSeconds ?? base.jitterSeconds,
    enablePartialSecretSync: raw?.enablePartialSecretSync ?? base.enablePartialSecretSync,
  };
}

function engineSettings(fleet: RawFleet, problems: ConfigProblem[]): FleetConfig["engines"] {
  const out = {} as FleetConfig["engines"];
  for (const engine of ENGINES) {
    const raw = fleet.engines[engine];
    checkJitter(engine, raw, `engines.${engine}.jitterSeconds`, problems);
    out[engine] = { ...mergeSync(ENGINE_DEFAULTS[engine], raw), extensionVersion: raw?.extensionVersion };
  }
  return out;
}

function checkJitter(
  engine: Engine,
  raw: RawSyncSettings | undefined,
  path: string,
  problems: ConfigProblem[],
) {
  if (raw?.jitterSeconds && !ENGINES_WITH_JITTER.includes(engine)) {
    problems.push({
      path,
      message: `${engine} has no jitter setting; allowed: 0 (engines with jitter: ${ENGINES_WITH_JITTER.join(", ")})`,
    });
  }
}

function resolveNamespaces(
  fleet: RawFleet,
  raw: RawCluster["namespaces"],
  path: string,
  problems: ConfigProblem[],
): RawNamespace[] {
  const value = raw ?? fleet.defaults.namespaces ?? [];
  if (typeof value !== "string") return value;
  const set = fleet.namespaceSets[value];
  if (!set) {
    const known = Object.keys(fleet.namespaceSets);
    problems.push({
      path,
      message: `unknown namespace set "${value}"; allowed: ${known.join(", ") || "(none defined in namespaceSets)"}`,
    });
    return [];
  }
  return set;
}

function toNamespaces(
  raw: RawNamespace[],
  engine: Engine,
  path: string,
  problems: ConfigProblem[],
): NamespaceConfig[] {
  const seen = new Set<string>();
  return raw.map((ns, i) => {
    if (seen.has(ns.name))
      problems.push({ path: `${path}[${i}].name`, message: `duplicate namespace "${ns.name}"` });
    seen.add(ns.name);
    if (ns.syncKind === "AKVSync" && engine !== "bundled") {
      problems.push({
        path: `${path}[${i}].syncKind`,
        message: `AKVSync is served by the bundled engine only; allowed for ${engine}: SecretSync`,
      });
    }
    const names = new Set<string>();
    ns.secrets.forEach((s, k) => {
      if (names.has(s.name))
        problems.push({ path: `${path}[${i}].secrets[${k}].name`, message: `duplicate Secret "${s.name}"` });
      names.add(s.name);
      if (ns.syncKind !== "AKVSync") return;
      s.objects.forEach((o, m) => {
        const at = `${path}[${i}].secrets[${k}].objects[${m}]`;
        if (o.objectType === ObjectType.key)
          problems.push({
            path: `${at}.objectType`,
            message: "AKVSync reads secrets and certificates; allowed: secret | cert",
          });
        if (o.versionHistory > 1)
          problems.push({
            path: `${at}.versionHistory`,
            message:
              "AKVSync compound secrets pin versions per entry; allowed: 1 (use syncKind SecretSync for history)",
          });
      });
    });
    return {
      name: ns.name,
      serviceAccount: ns.serviceAccount,
      syncKind: ns.syncKind,
      secrets: ns.secrets.map((s) => ({
        name: s.name,
        type: s.type,
        restartWorkloads: s.restartWorkloads,
        objects: s.objects.map((o) => ({
          objectName: o.objectName,
          objectType: o.objectType,
          key: o.key ?? o.objectName,
          objectVersion: o.objectVersion,
          versionHistory: o.versionHistory,
        })),
      })),
    };
  });
}

/** Number of federated credentials each identity of a cluster needs (pure). */
export function federatedCredentialsPerIdentity(
  cluster: Pick<ClusterConfig, "identity" | "namespaces">,
): number {
  if (!("scope" in cluster.identity)) return 0;
  const subjects = new Set(cluster.namespaces.map((ns) => `${ns.name}:${ns.serviceAccount}`));
  return cluster.identity.scope === "cluster" ? subjects.size : Math.min(subjects.size, 1);
}

function checkCluster(
  c: ClusterConfig,
  vault: VaultConfig | undefined,
  path: string,
  problems: ConfigProblem[],
) {
  const allowed = ENGINES_BY_KIND[c.kind];
  if (!allowed.includes(c.engine)) {
    problems.push({
      path: `${path}.engine`,
      message: `"${c.engine}" cannot run on a ${c.kind} cluster; allowed: ${allowed.join(" | ")}`,
    });
  }
  const others = c.installedEngines.filter((e) => e !== c.engine);
  if (others.length > 0) {
    problems.push({
      path: `${path}.installedEngines`,
      message: `cluster already runs ${others.join(", ")}; refusing a second engine (${c.engine}) on one cluster — remove it or choose engine ${others[0]}`,
    });
  }
  if (vault?.mode === "local" && c.engine !== "bundled") {
    problems.push({
      path: `${path}.engine`,
      message: `a local vault is served by the bundled engine only; allowed: bundled`,
    });
  }
  checkPlacement(c, vault?.mode === "local", path, problems);
}

/**
 * Issuer, resource group/location, federated-credential and kind-only rules of one cluster. An identity for a local
 * vault is created on the proving ground, which supplies the issuer and needs no resource group.
 */
function checkPlacement(c: ClusterConfig, localVault: boolean, path: string, problems: ConfigProblem[]) {
  const needsIssuer = "scope" in c.identity && c.kind !== "aks" && !localVault;
  if (needsIssuer && !c.oidcIssuerUrl) {
    problems.push({
      path: `${path}.oidcIssuerUrl`,
      message: `required for ${c.kind} clusters with an Azure identity (the cluster's service-account issuer, https://...)`,
    });
  }
  if (c.kind !== "generic" && (!c.resourceGroup || !c.location)) {
    problems.push({
      path: `${path}.${c.resourceGroup ? "location" : "resourceGroup"}`,
      message: `required for ${c.kind} clusters`,
    });
  }
  if ("scope" in c.identity && c.kind === "generic" && !localVault && (!c.resourceGroup || !c.location)) {
    problems.push({
      path: `${path}.resourceGroup`,
      message: "resourceGroup and location are required to create the cluster's identity",
    });
  }
  const creds = federatedCredentialsPerIdentity(c);
  if (creds > MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
    problems.push({
      path: `${path}.namespaces`,
      message: `${creds} (namespace, ServiceAccount) pairs need ${creds} federated credentials on one identity; allowed at most ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} — use identity: { scope: namespace } or share ServiceAccounts`,
    });
  }
  if (c.managed && c.kind !== "aks")
    problems.push({
      path: `${path}.managed`,
      message: "only aks clusters can be managed by keyfleet; allowed: false",
    });
  if (c.csiAddonPresent && c.kind !== "aks")
    problems.push({
      path: `${path}.csiAddonPresent`,
      message: "only aks clusters have the CSI add-on; allowed: false",
    });
}

/** Expands and checks the parsed raw fleet; returns the fleet and every problem found (pure). */
export function expandFleet(fleet: RawFleet): { config: FleetConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const engines = engineSettings(fleet, problems);
  const vaults: VaultConfig[] = fleet.vaults.map((v, i) => {
    if (v.mode === "create" && (!v.resourceGroup || !v.location)) {
      problems.push({
        path: `vaults[${i}].${v.resourceGroup ? "location" : "resourceGroup"}`,
        message: "required when mode is create",
      });
    }
    if (v.mode === "existing" && !v.resourceGroup)
      problems.push({ path: `vaults[${i}].resourceGroup`, message: "required when mode is existing" });
    if (v.mode === "existing" && v.seedSecrets.length > 0) {
      problems.push({
        path: `vaults[${i}].seedSecrets`,
        message: `Pulumi seeds secrets only into vaults it writes to (mode create or local); mode is ${v.mode}`,
      });
    }
    v.seedSecrets.forEach((seed, k) => {
      if ("generate" in seed && v.mode !== "local")
        problems.push({
          path: `vaults[${i}].seedSecrets[${k}].generate`,
          message: `a generated value is for local vaults only; allowed for mode ${v.mode}: configKey (a secret config key)`,
        });
    });
    return { ...v };
  });
  duplicates(
    vaults.map((v) => v.name),
    "vaults",
    problems,
  );
  const vaultByName = new Map(vaults.map((v) => [v.name, v]));

  const sourced = expandClusterSets(fleet);
  const clusters: ClusterConfig[] = [];
  const seen = new Map<string, string>();
  for (const { raw, path } of sourced) {
    if (seen.has(raw.name)) {
      problems.push({
        path: `${path}.name`,
        message: `duplicate cluster name "${raw.name}" (also at ${seen.get(raw.name)}); cluster names must be unique`,
      });
      continue;
    }
    seen.set(raw.name, path);
    const engine = (raw.engine ?? fleet.defaults.engine) as Engine | undefined;
    if (!engine) {
      problems.push({
        path: `${path}.engine`,
        message: `required (or set defaults.engine); allowed: ${ENGINES.join(" | ")}`,
      });
      continue;
    }
    const vault = vaultByName.get(raw.vault);
    if (!vault)
      problems.push({
        path: `${path}.vault`,
        message: `unknown vault "${raw.vault}"; allowed: ${[...vaultByName.keys()].join(", ")}`,
      });
    const override = { ...raw.overrides, ...fleet.clusterOverrides[raw.name] };
    checkJitter(engine, override, `${path}.overrides.jitterSeconds`, problems);
    const namespaces = toNamespaces(
      resolveNamespaces(fleet, raw.namespaces, `${path}.namespaces`, problems),
      engine,
      `${path}.namespaces`,
      problems,
    );
    const kubeconfig =
      raw.kubeconfig ?? (raw.kind === "aks" ? { from: "aks-credentials" as const } : undefined);
    if (!kubeconfig) {
      problems.push({
        path: `${path}.kubeconfig`,
        message: "required for non-AKS clusters; allowed: { from: config-secret, key } | { from: local-env }",
      });
      continue;
    }
    const cluster: ClusterConfig = {
      name: raw.name,
      kind: raw.kind as ClusterConfig["kind"],
      engine,
      vault: raw.vault,
      resourceGroup: raw.resourceGroup,
      location: raw.location,
      region: raw.location,
      managed: raw.managed,
      aks: raw.aks,
      oidcIssuerUrl: raw.oidcIssuerUrl,
      kubeconfig,
      identity: raw.identity,
      installedEngines: raw.installedEngines as Engine[],
      csiAddonPresent: raw.csiAddonPresent,
      extensionVersion: override.extensionVersion ?? engines[engine].extensionVersion,
      sync: mergeSync(engines[engine], override),
      namespaces,
      secretCount: namespaces.reduce((n, ns) => n + ns.secrets.length, 0),
      objectCount: namespaces.reduce(
        (n, ns) =>
          n + ns.secrets.reduce((m, s) => m + s.objects.reduce((k, o) => k + o.versionHistory, 0), 0),
        0,
      ),
    };
    checkCluster(cluster, vault, path, problems);
    clusters.push(cluster);
  }
  for (const name of Object.keys(fleet.clusterOverrides)) {
    if (!seen.has(name))
      problems.push({ path: `clusterOverrides.${name}`, message: `no cluster named "${name}"` });
  }
  const usesAzure =
    vaults.some((v) => v.mode !== "local") ||
    clusters.some(
      (c) => c.kind !== "generic" || ("scope" in c.identity && vaultByName.get(c.vault)?.mode !== "local"),
    );
  if (usesAzure && !fleet.azure) {
    problems.push({
      path: "azure.tenantId",
      message:
        "required: this stack declares Azure resources; set azure.tenantId and azure.subscriptionId (GUIDs)",
    });
  }
  if (fleet.syncRuntime.delivery === "image" && !fleet.syncRuntime.image) {
    problems.push({ path: "syncRuntime.image", message: "required when syncRuntime.delivery is image" });
  }
  return {
    config: { azure: fleet.azure, engines, syncRuntime: fleet.syncRuntime, vaults, clusters },
    problems,
  };
}

function duplicates(names: string[], path: string, problems: ConfigProblem[]) {
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i)
      problems.push({ path: `${path}[${i}].name`, message: `duplicate name "${n}"` });
  });
}
