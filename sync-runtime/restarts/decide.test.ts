import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RESTARTED_FOR_ANNOTATION } from "./constants.ts";
import { annotationProblems, decideRestart, restartMessage } from "./decide.ts";
import type { SecretState, SourceLookup, WorkloadView } from "./decide.ts";
import { templateReferences } from "./references.ts";
import type { PodTemplateLike } from "./references.ts";

const template: PodTemplateLike = {
  spec: {
    containers: [
      {
        env: [{ valueFrom: { secretKeyRef: { name: "env-ref" } } }],
        envFrom: [{ secretRef: { name: "env-from" } }],
      },
    ],
    initContainers: [{ envFrom: [{ secretRef: { name: "init" } }] }],
    volumes: [
      { secret: { secretName: "vol" } },
      { projected: { sources: [{ secret: { name: "projected" } }] } },
      { csi: { driver: "secrets-store.csi.k8s.io", volumeAttributes: { secretProviderClass: "spc" } } },
    ],
  },
};

function lookup(secrets: Record<string, Partial<SecretState>>): SourceLookup {
  return {
    secret: (name) =>
      secrets[name]
        ? { name, fingerprint: `fp-${name}`, match: false, version: "7", ...secrets[name] }
        : undefined,
    spc: (name) => (name === "spc" ? { name, fingerprint: "fp-spc", versions: ["secret/x@2"] } : undefined),
  };
}
const workload = (annotations: Record<string, string>, hash?: string): WorkloadView => ({
  kind: "Deployment",
  namespace: "ns",
  name: "w",
  annotations,
  template: { ...template, metadata: { annotations: hash ? { [RESTARTED_FOR_ANNOTATION]: hash } : {} } },
});
const all = { "env-ref": {}, "env-from": { match: true }, vol: {}, projected: {}, init: {}, named: {} };

describe("templateReferences", () => {
  it("finds env secretKeyRef, envFrom, secret and projected volumes, init containers and CSI classes", () => {
    const refs = templateReferences(template);
    assert.deepEqual([...refs.secrets].sort(), ["env-from", "env-ref", "init", "projected", "vol"]);
    assert.deepEqual([...refs.secretProviderClasses], ["spc"]);
  });
});

describe("decideRestart", () => {
  const cases: Array<[string, Record<string, string>, string, boolean, string[]?]> = [
    ["search + match annotation", { "reloader.stakater.com/search": "true" }, "env-from", true, ["search"]],
    ["search without match annotation", { "reloader.stakater.com/search": "true" }, "vol", false],
    ["auto on any referenced Secret", { "reloader.stakater.com/auto": "true" }, "projected", true, ["auto"]],
    ["secret auto", { "secret.reloader.stakater.com/auto": "true" }, "init", true, ["auto"]],
    ["auto ignores unreferenced", { "reloader.stakater.com/auto": "true" }, "named", false],
    [
      "named, even unreferenced",
      { "secret.reloader.stakater.com/reload": "other, named" },
      "named",
      true,
      ["named"],
    ],
    ["no annotations", {}, "env-ref", false],
  ];
  for (const [name, annotations, changed, restarts, reasons] of cases) {
    it(name, () => {
      const decision = decideRestart(
        workload(annotations),
        [{ source: "secret", name: changed }],
        lookup(all),
      );
      assert.equal(decision.restart, restarts);
      if (decision.restart) assert.deepEqual(decision.causes[0]!.reasons, reasons);
    });
  }

  it("follows a SecretProviderClass named in its reload annotation", () => {
    const decision = decideRestart(
      workload({ "secretproviderclass.reloader.stakater.com/reload": "spc" }),
      [{ source: "spc", name: "spc" }],
      lookup(all),
    );
    assert.ok(decision.restart);
    assert.match(
      restartMessage(decision.causes, decision.hash),
      /SecretProviderClass "spc" \(mounted secret\/x@2\)/,
    );
  });

  it("never restarts twice for the same hash, and restarts again when the state moves on", () => {
    const view = workload({ "reloader.stakater.com/auto": "true" });
    const first = decideRestart(view, [{ source: "secret", name: "vol" }], lookup(all));
    assert.ok(first.restart);
    const again = decideRestart(
      workload({ "reloader.stakater.com/auto": "true" }, first.hash),
      [{ source: "secret", name: "vol" }],
      lookup(all),
    );
    assert.deepEqual(again, { restart: false, why: "already-restarted", hash: first.hash });
    const moved = decideRestart(
      workload({ "reloader.stakater.com/auto": "true" }, first.hash),
      [{ source: "secret", name: "vol" }],
      lookup({ ...all, vol: { fingerprint: "fp-new" } }),
    );
    assert.ok(moved.restart && moved.hash !== first.hash);
  });

  it("makes one decision for several changed Secrets and names each with its version", () => {
    const decision = decideRestart(
      workload({ "reloader.stakater.com/auto": "true" }),
      [
        { source: "secret", name: "vol" },
        { source: "secret", name: "env-ref" },
        { source: "secret", name: "vol" },
      ],
      lookup(all),
    );
    assert.ok(decision.restart);
    assert.deepEqual(
      decision.causes.map((c) => c.name),
      ["env-ref", "vol"],
    );
    assert.match(
      restartMessage(decision.causes, decision.hash),
      /Secret "env-ref" \(version 7, auto\), Secret "vol" \(version 7, auto\)/,
    );
  });
});

describe("annotationProblems", () => {
  it("names missing Secrets and namespace-qualified names", () => {
    const problems = annotationProblems(
      workload({ "secret.reloader.stakater.com/reload": "named, ghost, other/named, Bad_Name" }),
      (name) => name === "named",
    );
    assert.deepEqual(problems.map((p) => p.value).sort(), ["Bad_Name", "ghost", "other/named"]);
    assert.match(
      problems.find((p) => p.value === "ghost")!.message,
      /Secret "ghost", which does not exist in namespace "ns"/,
    );
  });
});
