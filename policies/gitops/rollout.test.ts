import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { HarnessResource } from "../harness/evaluate.ts";
import { keyfleetPolicies } from "../pack.ts";
import { arcCluster, secretSync, STACK_URN, vault } from "../../test/support/policy-fixtures.ts";
import { changeSetFromCaptures } from "../rollout/from-capture.ts";
import { rolloutPlan } from "../rollout/plan.ts";
import { isReady, runRollout, syncsOfWave } from "./rollout.ts";
import { digestOf, fakeRunner, policyEvent, previewStream } from "../../test/support/gitops-preview.ts";

const STACK: HarnessResource = {
  type: "pulumi:pulumi:Stack",
  name: "keyfleet-test",
  urn: STACK_URN,
  inputs: {},
};
const OPTIONS = { vaultLimitPer10s: 4000, risk: 0.0001, addonMountsPerSecretProviderClass: 1 };

/** `n` Arc clusters × `objects`, each with a SecretSync. */
function fleet(n: number, objects: number): HarnessResource[] {
  const clusters = Array.from({ length: n }, (_, i) => {
    const c = arcCluster(`arc-${String(i).padStart(2, "0")}`, { objects });
    return [...c, secretSync(c)];
  });
  return [STACK, ...vault(), ...clusters.flat()];
}

function withJitter(resources: HarnessResource[], jitter: string): HarnessResource[] {
  const copy = structuredClone(resources);
  for (const r of copy)
    if (r.type === "azure-native:kubernetesconfiguration:Extension")
      (r.inputs.configurationSettings as Record<string, string>).jitterSeconds = jitter;
  return copy;
}

const readyOutputs = (ready: boolean) => ({
  metadata: { generation: 2 },
  status: { conditions: [{ type: "Ready", status: ready ? "True" : "False", observedGeneration: 2 }] },
});

function stackExport(resources: readonly HarnessResource[], ready: (urn: string) => boolean): string {
  return JSON.stringify({
    version: 3,
    deployment: {
      resources: resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        outputs: r.type.endsWith(":SecretSync") ? readyOutputs(ready(r.urn)) : {},
      })),
    },
  });
}

describe("isReady", () => {
  const rows: Array<[string, unknown, boolean]> = [
    ["Ready=True for the current generation", readyOutputs(true), true],
    ["Ready=False", readyOutputs(false), false],
    ["no status yet", { metadata: { generation: 1 } }, false],
    [
      "Ready=True for an older generation",
      {
        metadata: { generation: 3 },
        status: { conditions: [{ type: "Ready", status: "True", observedGeneration: 2 }] },
      },
      false,
    ],
    [
      "Ready=True without observedGeneration",
      { status: { conditions: [{ type: "Ready", status: "True" }] } },
      true,
    ],
  ];
  for (const [name, outputs, expected] of rows) it(name, () => assert.equal(isReady(outputs), expected));
});

describe("syncsOfWave", () => {
  it("a whole cluster's wave waits for all its SecretSyncs; a split cluster's wave only for the ones it applies", () => {
    const before = fleet(12, 40);
    const whole = rolloutPlan(changeSetFromCaptures("t", before, withJitter(before, "900")), OPTIONS);
    assert.deepEqual(
      syncsOfWave(changeSetFromCaptures("t", before, withJitter(before, "900")), whole.waves[0]!).length,
      9,
    );
    // One cluster gets 6 new classes of 1 object with a SecretSync each, under 30 reads / 10 s: split by class.
    const base = fleet(1, 1);
    const extra = Array.from({ length: 6 }, (_, i) => {
      const spc = structuredClone(base.find((r) => r.name === "arc-00-spc")!);
      Object.assign(spc, { name: `arc-00-spc-${i}`, urn: `${spc.urn}-${i}` });
      spc.inputs.metadata = { name: `app-${i}`, namespace: "app" };
      const sync = secretSync(base);
      Object.assign(sync, { name: `arc-00-sync-${i}`, urn: `${sync.urn}-${i}` });
      sync.inputs = {
        ...sync.inputs,
        spec: { ...(sync.inputs.spec as object), secretProviderClassName: `app-${i}` },
      };
      return [spc, sync];
    });
    const changes = changeSetFromCaptures("t", base, [...base, ...extra.flat()]);
    const split = rolloutPlan(changes, { ...OPTIONS, vaultLimitPer10s: 30 });
    assert.ok(split.waves.length > 1);
    const first = syncsOfWave(changes, split.waves[0]!);
    assert.deepEqual(
      first,
      split.waves[0]!.targets.filter((u) => u.includes(":SecretSync::")),
    );
  });
});

describe("keyfleet rollout (fake Pulumi runner and clock)", () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), "keyfleet-rollout-"));
  after(() => rmSync(cwd, { recursive: true, force: true }));

  it("applies an unsafe update in waves, each after the previous wave's SecretSyncs are Ready, then converges", async () => {
    const before = fleet(12, 40);
    const target = withJitter(before, "900");
    let now = 0;
    const sleeps: number[] = [];
    let exports = 0;
    const runner = fakeRunner((args) => {
      if (args[0] === "preview") return { stdout: JSON.stringify(digestOf(before, target)) };
      if (args[0] === "stack") {
        exports++;
        now += 2000; // each look takes a while
        return { stdout: stackExport(target, () => exports !== 1) }; // not Ready at the first look
      }
      now += 3000;
      return {};
    });
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
    const code = await runRollout(["--stack", "dev"], io, {
      cwd,
      runner,
      policies: keyfleetPolicies,
      now: () => now,
      sleep: (ms) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    });
    assert.equal(code, 0, out.join(""));
    const verbs = runner.calls.map((c) => c[0]);
    assert.deepEqual(verbs, [
      "preview",
      "up",
      "refresh",
      "stack",
      "refresh",
      "stack",
      "up",
      "refresh",
      "stack",
      "up",
    ]);
    const targets = (call: string[]) => call.filter((_, i) => call[i - 1] === "--target");
    const wave1 = targets(runner.calls[1]!);
    const wave2 = targets(runner.calls[6]!);
    assert.equal(wave1.length, 9); // ⌊(400 − steady) / 40⌋ clusters' extensions
    assert.equal(wave2.length, 3);
    assert.ok([...wave1, ...wave2].every((u) => u.endsWith("-sse-ext")));
    assert.equal(targets(runner.calls[2]!).length, 9); // the gate refreshes wave 1's SecretSyncs
    assert.ok(targets(runner.calls[2]!).every((u) => u.endsWith("-sync")));
    assert.deepEqual(targets(runner.calls[9]!), []); // the final up is whole-stack
    assert.ok(runner.calls[1]!.includes("--policy-pack"));
    assert.deepEqual(sleeps, [5000]); // one more look at wave 1; wave 2 started > 10 s after wave 1 anyway
    assert.match(out.join(""), /2 waves, ≥ 10 s apart/);
  });

  it("one pulumi up when the vault absorbs the burst; nothing when nothing changes", async () => {
    const before = fleet(3, 40);
    const runner = fakeRunner((args) =>
      args[0] === "preview" ? { stdout: JSON.stringify(digestOf(before, withJitter(before, "900"))) } : {},
    );
    const io = { out: () => undefined, err: () => undefined };
    assert.equal(await runRollout(["--stack", "dev"], io, { cwd, runner, policies: keyfleetPolicies }), 0);
    assert.deepEqual(
      runner.calls.map((c) => c[0]),
      ["preview", "up"],
    );

    const idle = fakeRunner(() => ({ stdout: JSON.stringify(digestOf(before, before)) }));
    assert.equal(
      await runRollout(["--stack", "dev"], io, { cwd, runner: idle, policies: keyfleetPolicies }),
      0,
    );
    assert.deepEqual(
      idle.calls.map((c) => c[0]),
      ["preview"],
    );
  });

  it("refuses to apply past a mandatory violation; a wave that never gets Ready fails after the timeout", async () => {
    const before = fleet(12, 40);
    const target = withJitter(before, "900");
    const io = { out: () => undefined, err: () => undefined };
    const blocked = fakeRunner(() => ({
      code: 255,
      stdout: previewStream(before, target, [
        policyEvent("keyfleet-jitter-sufficient", "mandatory", "too little jitter"),
      ]),
    }));
    assert.equal(
      await runRollout(["--stack", "dev"], io, { cwd, runner: blocked, policies: keyfleetPolicies }),
      1,
    );
    assert.deepEqual(
      blocked.calls.map((c) => c[0]),
      ["preview"],
    );

    let now = 0;
    const stuck = fakeRunner((args) =>
      args[0] === "preview"
        ? { stdout: JSON.stringify(digestOf(before, target)) }
        : args[0] === "stack"
          ? { stdout: stackExport(target, () => false) }
          : {},
    );
    const err: string[] = [];
    const code = await runRollout(
      ["--stack", "dev", "--ready-timeout", "30"],
      { out: () => undefined, err: (t) => void err.push(t) },
      {
        cwd,
        runner: stuck,
        policies: keyfleetPolicies,
        now: () => now,
        sleep: (ms) => {
          now += ms;
          return Promise.resolve();
        },
      },
    );
    assert.equal(code, 1);
    assert.match(err.join(""), /not Ready after 30 s: arc-00-sync, arc-01-sync/);
    assert.equal(stuck.calls.filter((c) => c[0] === "up").length, 1); // wave 2 never started
  });
});
