import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import {
  FleetConfigError,
  loadFleetConfig,
  stackConfigPath,
  validateFleetConfig,
  vaultLoads,
} from "./load.ts";

const TENANT = "11111111-2222-3333-4444-555555555555";
const SUB = "66666666-7777-8888-9999-000000000000";
/** A small valid fleet; each bad-input case changes one thing. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures are edited freely per case
type Loose = Record<string, any>;
function baseline(): Loose {
  return {
    azure: { tenantId: TENANT, subscriptionId: SUB },
    vaults: [{ name: "kf-test", resourceGroup: "rg", location: "westeurope" }],
    clusters: [
      {
        name: "aks-1",
        kind: "aks",
        engine: "aks-addon",
        vault: "kf-test",
        resourceGroup: "rg",
        location: "westeurope",
        namespaces: [
          {
            name: "app",
            serviceAccount: "app-sync",
            secrets: [{ name: "db", objects: [{ objectName: "db-password" }] }],
          },
        ],
      },
    ],
  };
}

void test("the baseline and every shipped stack validate", () => {
  const fleet = validateFleetConfig(baseline());
  assert.equal(fleet.clusters[0]!.sync.rotationPollIntervalSeconds, 120);
  assert.deepEqual(fleet.clusters[0]!.kubeconfig, { from: "aks-credentials" });
  for (const stack of ["dev", "prod", "local"]) assert.ok(loadFleetConfig(stack).clusters.length > 0, stack);
});

void test("prod: at least 200 clusters over several regions, from a compact description", () => {
  const prod = loadFleetConfig("prod");
  assert.ok(prod.clusters.length >= 200, String(prod.clusters.length));
  assert.ok(new Set(prod.clusters.map((c) => c.location)).size >= 3);
  assert.ok(
    readFileSync(stackConfigPath("prod"), "utf8").split("\n").length < 150,
    "compact, not copy-paste",
  );
  const override = prod.clusters.find((c) => c.name === "arc-westeurope-001")!;
  assert.deepEqual([override.sync.rotationPollIntervalSeconds, override.sync.jitterSeconds], [1800, 600]);
});

void test("vaultLoads gives a planner clusters, objects per cluster, poll and jitter per engine", () => {
  const loads = vaultLoads(loadFleetConfig("dev"));
  assert.deepEqual(loads, [
    {
      vault: "kf-dev-weu",
      clusterCount: 2,
      byEngine: [
        {
          engine: "aks-addon",
          clusterCount: 1,
          maxObjectsPerCluster: 2,
          totalObjects: 2,
          rotationPollIntervalSeconds: 120,
          jitterSeconds: 0,
        },
        {
          engine: "arc-extension",
          clusterCount: 1,
          maxObjectsPerCluster: 2,
          totalObjects: 2,
          rotationPollIntervalSeconds: 600,
          jitterSeconds: 60,
        },
      ],
    },
  ]);
});

const sa = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `ns${i}`, serviceAccount: "sync", secrets: [] }));
/** [label, change, expected key path, expected message fragment] */
const BAD: Array<[string, (f: Loose) => void, string, string]> = [
  [
    "unknown engine",
    (f) => (f.clusters[0].engine = "flux"),
    "clusters[0].engine",
    "allowed: aks-addon | arc-extension | bundled",
  ],
  [
    "engine not allowed for kind",
    (f) => (f.clusters[0].engine = "arc-extension"),
    "clusters[0].engine",
    "allowed: aks-addon | bundled",
  ],
  [
    "duplicate cluster names",
    (f) => f.clusters.push({ ...f.clusters[0] }),
    "clusters[1].name",
    'duplicate cluster name "aks-1"',
  ],
  [
    "namespace without ServiceAccount",
    (f) => delete f.clusters[0].namespaces[0].serviceAccount,
    "clusters[0].namespaces[0].serviceAccount",
    "is required",
  ],
  [
    "poll interval as a bare number",
    (f) => (f.clusters[0].overrides = { rotationPollInterval: 120 }),
    "clusters[0].overrides.rotationPollInterval",
    "wrong unit",
  ],
  [
    "poll interval in an unknown unit",
    (f) => (f.engines = { "aks-addon": { rotationPollInterval: "2d" } }),
    "engines.aks-addon.rotationPollInterval",
    'like "90s"',
  ],
  [
    "poll interval out of range",
    (f) => (f.engines = { "aks-addon": { rotationPollInterval: "2s" } }),
    "engines.aks-addon.rotationPollInterval",
    "out of range",
  ],
  [
    "jitter on the add-on",
    (f) => (f.clusters[0].overrides = { jitterSeconds: 30 }),
    "clusters[0].overrides.jitterSeconds",
    "aks-addon has no jitter setting; allowed: 0",
  ],
  [
    "more than 20 federated credentials",
    (f) => (f.clusters[0].namespaces = sa(21)),
    "clusters[0].namespaces",
    "allowed at most 20",
  ],
  ["missing tenant/subscription", (f) => delete f.azure, "azure.tenantId", "required"],
  ["subscription not a GUID", (f) => (f.azure.subscriptionId = "prod"), "azure.subscriptionId", "GUID"],
  [
    "unknown vault",
    (f) => (f.clusters[0].vault = "nope"),
    "clusters[0].vault",
    'unknown vault "nope"; allowed: kf-test',
  ],
  ["unknown key (typo)", (f) => (f.clusters[0].enigne = "bundled"), "clusters[0]", 'unknown key "enigne"'],
  [
    "two engines on one cluster",
    (f) => (f.clusters[0].installedEngines = ["bundled"]),
    "clusters[0].installedEngines",
    "refusing a second engine",
  ],
  [
    "arc without OIDC issuer",
    (f) =>
      Object.assign(f.clusters[0], {
        kind: "arc",
        engine: "arc-extension",
        kubeconfig: { from: "config-secret", key: "k" },
      }),
    "clusters[0].oidcIssuerUrl",
    "required for arc",
  ],
  [
    "non-AKS without kubeconfig",
    (f) =>
      Object.assign(f.clusters[0], {
        kind: "generic",
        engine: "bundled",
        oidcIssuerUrl: "https://i.example/",
      }),
    "clusters[0].kubeconfig",
    "required for non-AKS",
  ],
  [
    "AKVSync on the add-on",
    (f) => (f.clusters[0].namespaces[0].syncKind = "AKVSync"),
    "clusters[0].namespaces[0].syncKind",
    "bundled engine only",
  ],
  [
    "image delivery without image",
    (f) => (f.syncRuntime = { delivery: "image" }),
    "syncRuntime.image",
    "required",
  ],
  [
    "override for an unknown cluster",
    (f) => (f.clusterOverrides = { ghost: { jitterSeconds: 1 } }),
    "clusterOverrides.ghost",
    'no cluster named "ghost"',
  ],
];

for (const [label, change, path, fragment] of BAD) {
  void test(`bad input: ${label} → keyfleet:fleet.${path}`, () => {
    const raw = baseline();
    change(raw);
    assert.throws(
      () => validateFleetConfig(raw, "test"),
      (e: unknown) => {
        assert.ok(e instanceof FleetConfigError, String(e));
        const hit = e.problems.find((p) => p.path === path);
        assert.ok(hit, `no problem at ${path}; got ${JSON.stringify(e.problems)}`);
        assert.ok(hit.message.includes(fragment), `${hit.message} lacks "${fragment}"`);
        assert.ok(e.message.includes(`keyfleet:fleet.${path}: `));
        return true;
      },
    );
  });
}

void test("cluster sets expand with zero-padded indexes and {region}/{name} templates", () => {
  const raw = baseline();
  raw.clusterSets = [
    {
      namePattern: "arc-{region}-{index}",
      regions: ["westeurope", "eastus2"],
      countPerRegion: 2,
      cluster: {
        kind: "arc",
        engine: "arc-extension",
        vault: "kf-test",
        resourceGroup: "rg-{region}",
        oidcIssuerUrl: "https://oidc.example/{name}",
        kubeconfig: { from: "config-secret", key: "kc-{name}" },
      },
    },
  ];
  const fleet = validateFleetConfig(raw);
  const arc = fleet.clusters.filter((c) => c.kind === "arc");
  assert.deepEqual(
    arc.map((c) => c.name),
    ["arc-westeurope-001", "arc-westeurope-002", "arc-eastus2-001", "arc-eastus2-002"],
  );
  assert.equal(arc[2]!.resourceGroup, "rg-eastus2");
  assert.equal(arc[2]!.location, "eastus2");
  assert.equal(arc[2]!.oidcIssuerUrl, "https://oidc.example/arc-eastus2-001");
  assert.deepEqual(arc[2]!.kubeconfig, { from: "config-secret", key: "kc-arc-eastus2-001" });
});

void test("a stack file without keyfleet:fleet names the key", () => {
  assert.equal(parse("config: {}").config !== undefined, true);
  assert.throws(
    () => loadFleetConfig("missing-stack"),
    /no stack "missing-stack": .* does not exist; stacks: /,
  );
});
