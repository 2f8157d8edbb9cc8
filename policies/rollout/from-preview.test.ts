import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChangeOp, diffPaths, graphAfter } from "./changeset.ts";
import {
  changeSetFromPreview,
  parsePreviewJson,
  PreviewFormatError,
  type PreviewStep,
} from "./from-preview.ts";

const P = "urn:pulumi:dev::keyfleet::";
const STACK = `${P}pulumi:pulumi:Stack::keyfleet-dev`;
const CLUSTER = `${P}keyfleet:index:ClusterSecrets::aks-1`;
const PROVIDER = `${P}keyfleet:index:ClusterSecrets$pulumi:providers:kubernetes::aks-1-k8s`;
const SPC = `${P}keyfleet:index:ClusterSecrets$kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass::aks-1-spc`;

const st = (
  urn: string,
  type: string,
  inputs: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  urn,
  type,
  parent: STACK,
  inputs,
  outputs: inputs,
  ...extra,
});

describe("diffPaths", () => {
  const rows: Array<[string, unknown, unknown, string[]]> = [
    ["equal", { a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }, []],
    ["a leaf", { a: { b: 1 } }, { a: { b: 2 } }, ["a.b"]],
    ["an array element and a longer array", { a: [1, 2] }, { a: [1, 3, 4] }, ["a[1]", "a[2]"]],
    ["a key on one side", { a: 1 }, { a: 1, b: { c: 1 } }, ["b"]],
    ["a type change", { a: { b: 1 } }, { a: "x" }, ["a"]],
  ];
  for (const [name, a, b, paths] of rows) it(name, () => assert.deepEqual(diffPaths(a, b), paths));
});

describe("changeSetFromPreview", () => {
  it("folds a replacement's steps into one, strips the provider id, keeps parents", () => {
    const steps: PreviewStep[] = [
      { op: "same", urn: STACK, newState: { urn: STACK, type: "pulumi:pulumi:Stack", inputs: {} } },
      {
        op: "create-replacement",
        urn: SPC,
        newState: st(
          SPC,
          "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
          { metadata: { name: "b" } },
          {
            parent: CLUSTER,
            provider: `${PROVIDER}::0b5c3a0e-8e5d-4c4b-9f5e-1d2c3b4a5f6e`,
          },
        ),
      },
      {
        op: "replace",
        urn: SPC,
        oldState: st(SPC, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", {
          metadata: { name: "a" },
        }),
        newState: st(SPC, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", {
          metadata: { name: "b" },
        }),
        replaceReasons: ["metadata"],
        detailedDiff: { "metadata.name": { kind: "update-replace", inputDiff: true } },
      },
      { op: "delete-replaced", urn: SPC },
    ];
    const changes = changeSetFromPreview("dev", { steps });
    assert.equal(changes.resources.length, 2);
    const spc = changes.resources.find((r) => r.urn === SPC)!;
    assert.equal(spc.op, ChangeOp.replace);
    assert.equal(spc.name, "aks-1-spc");
    assert.equal(spc.parent, CLUSTER);
    assert.equal(spc.provider, PROVIDER);
    assert.deepEqual(spc.changedPaths, ["metadata.name"]);
  });

  it("a secret that changed compares equal as [secret]; the engine's diff reason still names it", () => {
    const changes = changeSetFromPreview("dev", {
      steps: [
        {
          op: "update",
          urn: PROVIDER,
          oldState: st(PROVIDER, "pulumi:providers:kubernetes", {
            kubeconfig: "[secret]",
            enableServerSideApply: "true",
          }),
          newState: st(PROVIDER, "pulumi:providers:kubernetes", {
            kubeconfig: "[secret]",
            enableServerSideApply: "true",
          }),
          diffReasons: ["kubeconfig"],
        },
      ],
    });
    assert.deepEqual(changes.resources[0]!.changedPaths, ["kubeconfig"]);
  });

  it("creates have no old inputs and deletes no new ones; the graph after holds what remains", () => {
    const changes = changeSetFromPreview("dev", {
      steps: [
        { op: "create", urn: CLUSTER, newState: st(CLUSTER, "keyfleet:index:ClusterSecrets", {}) },
        {
          op: "delete",
          urn: SPC,
          oldState: st(
            SPC,
            "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
            {},
            { parent: CLUSTER },
          ),
        },
      ],
    });
    assert.deepEqual(
      changes.resources.map((r) => [r.op, r.oldInputs !== undefined, r.newInputs !== undefined]),
      [
        ["delete", true, false], // URN order: the SecretProviderClass's URN sorts before its parent's
        ["create", false, true],
      ],
    );
    assert.deepEqual(
      graphAfter(changes).map((r) => r.name),
      ["aks-1"],
    );
  });

  it("lists resources in URN order whatever order the engine's concurrent steps came in", () => {
    const steps: PreviewStep[] = [
      { op: "same", urn: STACK, newState: { urn: STACK, type: "pulumi:pulumi:Stack", inputs: {} } },
      { op: "create", urn: CLUSTER, newState: st(CLUSTER, "keyfleet:index:ClusterSecrets", {}) },
      {
        op: "create",
        urn: SPC,
        newState: st(SPC, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", {}),
      },
    ];
    const forward = changeSetFromPreview("dev", { steps });
    const backward = changeSetFromPreview("dev", { steps: [...steps].reverse() });
    assert.deepEqual(backward, forward);
    assert.deepEqual(
      forward.resources.map((r) => r.urn),
      [SPC, CLUSTER, STACK],
    );
  });

  it("rejects output that is not a preview, naming what is wrong", () => {
    assert.throws(() => parsePreviewJson("error: no Pulumi.yaml"), PreviewFormatError);
    assert.throws(() => parsePreviewJson("[]"), /printed no object/);
    assert.throws(() => parsePreviewJson('{"steps": [{"urn": "x"}]}'), /steps\[0\] has no op or urn/);
    assert.deepEqual(parsePreviewJson("{}"), {});
  });
});
