import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { HarnessResource } from "../harness/evaluate.ts";
import { bundledCluster, change, STACK_URN } from "../../test/support/policy-fixtures.ts";
import { renderDriftMarkdown } from "./drift-markdown.ts";
import { driftReport, fieldConflict, liveDifferences } from "./drift-report.ts";
import { runDrift } from "./drift.ts";
import { handAddedMetadata, type MetadataDrift } from "./metadata-drift.ts";
import { digestOf, fakeRunner, previewStream } from "../../test/support/gitops-preview.ts";
import type { Props } from "../lib/props.ts";

const STACK: HarnessResource = {
  type: "pulumi:pulumi:Stack",
  name: "keyfleet-test",
  urn: STACK_URN,
  inputs: {},
};
const deployed = [STACK, ...bundledCluster("edge-1")];
// A hand edit on the cluster: the refreshed AKVSync lost an object; the program would put it back.
const refreshed = change(deployed, "edge-1-akvsync", (i) => {
  i.spec.objects = i.spec.objects.slice(0, 1);
});

/** A managedFields entry of `manager` owning the field at `path` (FieldsV1: each key spelled `f:<key>`). */
function owns(manager: string, path: string[], subresource?: string): Props {
  const fieldsV1 = path.reduceRight<Props>((inner, key) => ({ [`f:${key}`]: inner }), {});
  return {
    manager,
    operation: "Update",
    fieldsType: "FieldsV1",
    fieldsV1,
    ...(subresource ? { subresource } : {}),
  };
}

describe("keyfleet drift", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("reports what the program would set back, by resource and input path", () => {
    const digest = digestOf(refreshed, deployed);
    digest.diagnostics = [
      { severity: "error", message: "error: no changes were expected but changes were proposed" },
    ];
    const { report, errors } = driftReport("local", JSON.stringify(digest));
    assert.deepEqual(errors, []);
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.kind, d.op, d.changedPaths]),
      [["edge-1-akvsync", "program", "update", ["spec.objects[1]"]]],
    );
    assert.equal(
      renderDriftMarkdown(report),
      "## keyfleet drift — stack `local`: 1 resource changed outside Pulumi\n\n" +
        "| resource | type | what differs from the program | set back by |\n|---|---|---|---|\n" +
        "| `edge-1-akvsync` | `kubernetes:secret-sync.x-k8s.io/v1alpha1:AKVSync` | `spec.objects[1]` | " +
        "`pulumi up --refresh` (update) |\n",
    );
  });

  it("the real engine's refresh-preview of two hand edits: a field conflict and a list item the provider misses", () => {
    // 3.276 + Kubernetes provider 4.25 on the proving ground, after `kubectl patch` changed a SecretSync's
    // targetKey and appended two subjects to a RoleBinding (trimmed to those two resources).
    const text = readFileSync(
      path.join(import.meta.dirname, "__fixtures__", "refresh-preview-hand-edits-3.276.jsonl"),
      "utf8",
    );
    const { report, errors } = driftReport("local", text);
    assert.deepEqual(errors, []); // the conflict and the engine's closing "preview failed" are the drift
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.kind, d.op, d.changedPaths, d.conflict]),
      [
        [
          "local-demo-sync-app-config",
          "conflict",
          "update",
          ["spec.secretObject.data[1].targetKey"],
          { managers: ["kubectl-patch"], fields: [".spec.secretObject.data"] },
        ],
        ["local-runtime-tokens-demo-binding", "unseen", "same", ["subjects[1]", "subjects[2]"], undefined],
      ],
    );
    const markdown = renderDriftMarkdown(report);
    assert.match(markdown, /takes the fields back from `kubectl-patch`/);
    assert.match(markdown, /by hand: `pulumi up` does not see it/);
    assert.doesNotMatch(markdown, /intruder/); // paths, never values
  });

  it("the real engine's refresh-preview after `pulumi up --refresh` kept a hand-added label and annotation", () => {
    // 3.276 + provider 4.25 on the proving ground: a merge patch with field manager `kubectl-label` added label
    // `team` to a RoleBinding, one with `kubectl-annotate` an annotation to a SecretSync; `pulumi up --refresh` then
    // reported 43 unchanged and left both in place. Trimmed to those two and a Namespace whose
    // `kubernetes.io/metadata.name` label the apiserver added (owned by no manager: not drift).
    const text = readFileSync(
      path.join(import.meta.dirname, "__fixtures__", "refresh-preview-hand-labels-3.276.jsonl"),
      "utf8",
    );
    const { report, errors } = driftReport("local", text);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.kind, d.op, d.changedPaths, d.addedBy]),
      [
        [
          "local-demo-sync-app-config",
          "unseen",
          "same",
          ['metadata.annotations["example.com/ticket"]'],
          ["kubectl-annotate"],
        ],
        [
          "local-runtime-tokens-demo-binding",
          "unseen",
          "same",
          ['metadata.labels["team"]'],
          ["kubectl-label"],
        ],
      ],
    );
    const markdown = renderDriftMarkdown(report);
    assert.match(
      markdown,
      /\| `local-runtime-tokens-demo-binding` \| .* \| `metadata.labels\["team"\]` \| by hand: `pulumi up` does not see it \(labels\/annotations added by `kubectl-label`\) \|/,
    );
    assert.match(markdown, /server-side apply leaves other managers' fields alone/);
    assert.doesNotMatch(markdown, /payments|OPS-1/); // keys, never values
  });

  it("a hand-added label on a resource the engine also changes: `pulumi up --refresh` keeps the label", () => {
    const akvsync = refreshed.find((r) => r.name === "edge-1-akvsync")!;
    const live = structuredClone(akvsync.inputs) as { metadata: Props };
    const labels = { ...(live.metadata.labels as Props), team: "payments" };
    live.metadata = {
      ...live.metadata,
      labels,
      managedFields: [owns("kubectl-label", ["metadata", "labels", "team"])],
    };
    const refresh = { op: "refresh", urn: akvsync.urn, new: { outputs: live } };
    const stream = `${previewStream(refreshed, deployed)}${JSON.stringify({ sequence: 99, resOutputsEvent: { metadata: refresh } })}\n`;
    const { report } = driftReport("local", stream);
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.kind, d.changedPaths, d.addedBy]),
      [["edge-1-akvsync", "program", ['metadata.labels["team"]', "spec.objects[1]"], ["kubectl-label"]]],
    );
    assert.match(
      renderDriftMarkdown(report),
      /`pulumi up --refresh` \(update\); labels\/annotations added by `kubectl-label`: by hand \|/,
    );
  });

  it("fieldConflict reads apimachinery's conflict messages", () => {
    assert.equal(fieldConflict("error: connection refused"), undefined);
    assert.deepEqual(
      fieldConflict(
        'Apply failed with 1 conflict: conflict with "kubectl-patch" using secret-sync.x-k8s.io/v1alpha1: .spec.secretObject.data',
      ),
      { managers: ["kubectl-patch"], fields: [".spec.secretObject.data"] },
    );
    assert.deepEqual(
      fieldConflict(
        'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="app"].image',
      ),
      {
        managers: ["kubectl-edit"],
        fields: [".spec.replicas", '.spec.template.spec.containers[name="app"].image'],
      },
    );
  });

  const rows: Array<[string, unknown, unknown, string[]]> = [
    [
      "equal, server additions ignored",
      { a: 1, m: { x: "1" } },
      { a: 1, m: { x: "1", y: "2" }, status: {} },
      [],
    ],
    ["a changed leaf", { a: { b: 1 } }, { a: { b: 2 } }, ["a.b"]],
    ["an item added to a list", { s: [{ n: "a" }] }, { s: [{ n: "a" }, { n: "b" }] }, ["s[1]"]],
    ["an item gone from a list", { s: [1, 2] }, { s: [1] }, ["s[1]"]],
    ["a declared key missing", { a: 1, b: 2 }, { a: 1 }, ["b"]],
    [
      "the provider's x_kubernetes_ spelling",
      { "x-kubernetes-list-type": "map" },
      { x_kubernetes_list_type: "map" },
      [],
    ],
    ["the provider's own keys and secrets", { __inputs: { a: 1 }, p: "[secret]" }, { p: "[secret]" }, []],
  ];
  for (const [name, declared, live, paths] of rows)
    it(`liveDifferences: ${name}`, () => assert.deepEqual(liveDifferences(declared, live), paths));

  // A Deployment as the program declares it and as the ground returns it (managedFields as 3.276 + provider 4.25
  // read them back after `kubectl label`, `kubectl edit`, `kubectl rollout restart` and a rollout).
  const program = {
    metadata: { labels: { app: "a" }, annotations: { "pulumi.com/timeoutSeconds": "60" } },
    spec: { template: { metadata: { labels: { app: "a" } } } },
  };
  const ground = (labels: Props, podLabels: Props, podAnnotations: Props, managedFields: unknown) => ({
    metadata: {
      labels: { app: "a", ...labels },
      annotations: { "pulumi.com/timeoutSeconds": "60", "deployment.kubernetes.io/revision": "2" },
      managedFields,
    },
    spec: { template: { metadata: { labels: { app: "a", ...podLabels }, annotations: podAnnotations } } },
  });
  const podTemplate = ["spec", "template", "metadata"];
  const automation = [
    owns("pulumi-kubernetes-3ef630ea", ["metadata", "labels", "app"]),
    owns(
      "kube-controller-manager",
      ["metadata", "annotations", "deployment.kubernetes.io/revision"],
      "status",
    ),
    owns("keyfleet-restarts", [...podTemplate, "annotations", "keyfleet.io/restarted-for"]),
    owns("kubectl-rollout", [...podTemplate, "annotations", "kubectl.kubernetes.io/restartedAt"]),
    owns("keyfleet", ["status", "conditions"], "status"),
  ];
  const restarted = { "keyfleet.io/restarted-for": "h", "kubectl.kubernetes.io/restartedAt": "t" };
  const metadataRows: Array<[string, Props, MetadataDrift]> = [
    [
      "controllers, keyfleet's restarter and a restart are not drift",
      ground({}, {}, restarted, automation),
      { paths: [], managers: [], ignored: [] },
    ],
    [
      "labels added by hand on the object and its pod template",
      ground({ team: "t" }, { tier: "x" }, restarted, [
        ...automation,
        owns("kubectl-label", ["metadata", "labels", "team"]),
        owns("kubectl-edit", [...podTemplate, "labels", "tier"]),
      ]),
      {
        paths: ['metadata.labels["team"]', 'spec.template.metadata.labels["tier"]'],
        managers: ["kubectl-edit", "kubectl-label"],
        ignored: [],
      },
    ],
    [
      "a declared key taken over by hand (its value is liveDifferences' business)",
      ground({}, {}, {}, [owns("kubectl-label", ["metadata", "labels", "app"])]),
      { paths: [], managers: [], ignored: [] },
    ],
    [
      "a key with no owner (the apiserver's Namespace label) or owned but gone",
      ground({ "kubernetes.io/metadata.name": "demo" }, {}, {}, [
        owns("kubectl-label", ["metadata", "labels", "gone"]),
      ]),
      { paths: [], managers: [], ignored: [] },
    ],
    ["no managedFields", ground({ team: "t" }, {}, {}, undefined), { paths: [], managers: [], ignored: [] }],
  ];
  for (const [name, live, expected] of metadataRows)
    it(`handAddedMetadata: ${name}`, () => assert.deepEqual(handAddedMetadata(program, live), expected));

  it("exit 1 on drift (refresh-preview with --expect-no-changes), 0 without, 2 when the refresh fails", async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), "keyfleet-drift-"));
    dirs.push(cwd);
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
    const drifted = fakeRunner(() => ({ code: 255, stdout: JSON.stringify(digestOf(refreshed, deployed)) }));
    assert.equal(await runDrift(["--stack", "local"], io, { cwd, runner: drifted }), 1);
    assert.deepEqual(drifted.calls[0], [
      "preview",
      "--stack",
      "local",
      "--refresh",
      "--expect-no-changes",
      "--json",
      "--show-sames",
      "--non-interactive",
    ]);
    assert.match(readFileSync(path.join(cwd, ".keyfleet/drift/drift-local.md"), "utf8"), /edge-1-akvsync/);

    const clean = fakeRunner(() => ({ stdout: JSON.stringify(digestOf(deployed, deployed)) }));
    assert.equal(await runDrift(["--stack", "local"], io, { cwd, runner: clean }), 0);
    assert.match(out.join(""), /stack local: no drift/);

    const broken = fakeRunner(() => ({
      code: 255,
      stdout: "",
      stderr: "error: getting stack: no stack named 'local'\n",
    }));
    assert.equal(await runDrift(["--stack", "local"], io, { cwd, runner: broken }), 2);
    assert.match(out.join(""), /printed no preview \(exit 255\):\n {2}error: getting stack/);
  });
});
