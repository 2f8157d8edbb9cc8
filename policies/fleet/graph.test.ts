import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDurationSeconds, parseWholeSeconds } from "../lib/duration.ts";
import { buildFleetModel, countSpcObjects } from "./graph.ts";
import { compliantFleet, spcObjects } from "../../test/support/policy-fixtures.ts";
import { secretsPreservingProps } from "../harness/evaluate.ts";

describe("graph readers", () => {
  const DURATIONS: Array<[string, number | undefined]> = [
    ["2m", 120],
    ["1h30m", 5400],
    ["90s", 90],
    ["1.5m", 90],
    ["500ms", 0.5],
    ["120", undefined],
    ["", undefined],
    ["2 m", undefined],
    ["2d", undefined],
  ];
  for (const [text, seconds] of DURATIONS) {
    it(`duration "${text}" → ${seconds}`, () => assert.equal(parseDurationSeconds(text), seconds));
  }
  it("whole seconds", () => {
    assert.equal(parseWholeSeconds("600"), 600);
    assert.equal(parseWholeSeconds(30), 30);
    assert.equal(parseWholeSeconds("1h"), undefined);
    assert.equal(parseWholeSeconds("-1"), undefined);
  });
  it("counts SecretProviderClass objects including version history", () => {
    assert.equal(countSpcObjects(spcObjects(3)), 3);
    assert.equal(
      countSpcObjects(
        "array:\n  - |\n    objectName: a\n    objectVersionHistory: 4\n  - |\n    objectName: b\n",
      ),
      5,
    );
    assert.equal(countSpcObjects("array:\n  - |\n    objectType: secret\n"), undefined);
    assert.equal(countSpcObjects("{"), undefined);
  });
});

describe("buildFleetModel", () => {
  it("finds each cluster's engine and reads in the compliant fleet", () => {
    const resources = compliantFleet();
    const byUrn = new Map(
      resources.map((r) => [
        r.urn,
        {
          type: r.type,
          name: r.name,
          urn: r.urn,
          props: secretsPreservingProps(r) as Record<string, unknown>,
          parentUrn: r.parent,
        },
      ]),
    );
    const linked = [...byUrn.values()].map((r) => ({ ...r, parent: undefined as unknown }));
    // Link parents the way the engine does (objects, not URNs).
    const map = new Map(linked.map((r) => [r.urn, r]));
    for (const r of linked) r.parent = map.get(byUrn.get(r.urn)!.parentUrn ?? "");
    const model = buildFleetModel(linked as never);
    assert.deepEqual(
      model.engines.map((e) => [e.cluster, e.engine, e.pollSeconds, e.jitterSeconds]),
      [
        ["aks-1", "aks-addon", 120, 0],
        ["arc-1", "arc-extension", 3600, 60],
        ["edge-1", "bundled", 300, 30],
      ],
    );
    assert.deepEqual(
      model.reads.map((r) => [r.cluster, r.vault, r.objects]),
      [
        ["aks-1", "kv1", 3],
        ["arc-1", "kv1", 2],
        ["edge-1", "kv1", 2],
      ],
    );
    assert.equal(model.subscriptionByVault.get("kv1"), "66666666-7777-8888-9999-000000000000");
    assert.deepEqual(model.problems, []);
  });
});
