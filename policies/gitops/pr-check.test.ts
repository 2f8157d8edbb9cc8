import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { HarnessResource } from "../harness/evaluate.ts";
import { keyfleetPolicies } from "../pack.ts";
import { leastPrivilegeRole } from "../rules/least-privilege-role.ts";
import { arcCluster, change, STACK_URN, vault } from "../../test/support/policy-fixtures.ts";
import { runPrCheck } from "./pr-check.ts";
import type { PrCheckReport } from "./report.ts";
import { digestOf, fakeRunner, policyEvent, previewStream } from "../../test/support/gitops-preview.ts";

const SNAPSHOTS = path.join(import.meta.dirname, "__snapshots__");
const STACK: HarnessResource = {
  type: "pulumi:pulumi:Stack",
  name: "keyfleet-test",
  urn: STACK_URN,
  inputs: {},
};

/** 12 Arc clusters × 40 objects on one vault (a burst of 480 reads when all change at once). */
function fleet(): HarnessResource[] {
  const clusters = Array.from({ length: 12 }, (_, i) =>
    arcCluster(`arc-${String(i).padStart(2, "0")}`, { objects: 40, jitter: "600" }),
  );
  return [STACK, ...vault(), ...clusters.flat()];
}

function jitterEverywhere(resources: HarnessResource[]): HarnessResource[] {
  const copy = structuredClone(resources);
  for (const r of copy) {
    if (r.type === "azure-native:kubernetesconfiguration:Extension")
      (r.inputs.configurationSettings as Record<string, string>).jitterSeconds = "900";
  }
  return copy;
}

function workspace(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyfleet-pr-check-"));
  mkdirSync(path.join(dir, "stacks"));
  mkdirSync(path.join(dir, "policies"));
  for (const s of ["dev", "prod"])
    writeFileSync(path.join(dir, "stacks", `Pulumi.${s}.yaml`), "config: {}\n");
  return dir;
}

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) } };
};

function compareWithSnapshot(name: string, actual: string): void {
  const file = path.join(SNAPSHOTS, name);
  if (process.env.KEYFLEET_UPDATE_SNAPSHOTS === "1") {
    mkdirSync(SNAPSHOTS, { recursive: true });
    writeFileSync(file, actual);
  }
  assert.ok(existsSync(file), `${file} missing; create it with KEYFLEET_UPDATE_SNAPSHOTS=1`);
  assert.equal(
    actual,
    readFileSync(file, "utf8"),
    `${name} changed; review, then KEYFLEET_UPDATE_SNAPSHOTS=1`,
  );
}

describe("keyfleet pr-check (fake Pulumi runner)", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("an unsafe burst and a mandatory violation: exit 1, and the report matches the golden files", async () => {
    const cwd = workspace();
    dirs.push(cwd);
    const before = fleet();
    const runner = fakeRunner((_args, env) => {
      assert.equal(env.PULUMI_ENABLE_STREAMING_JSON_PREVIEW, "true"); // policy events only come streamed
      const violations = [
        policyEvent(
          "keyfleet-least-privilege-role",
          "mandatory",
          `${leastPrivilegeRole.description}\nrole Key Vault Secrets Officer on kv1 lets the sync identity write secrets`,
          before.find((r) => r.name === "arc-03-secrets-user")!.urn,
        ),
        policyEvent("keyfleet-vault-hardening", "advisory", "public network access is enabled"),
      ];
      return { code: 255, stdout: previewStream(before, jitterEverywhere(before), violations) };
    });
    const { out, io: testIo } = io();
    const code = await runPrCheck(["--base", "origin/main"], testIo, {
      cwd,
      runner,
      changedFiles: () => Promise.resolve(["stacks/Pulumi.dev.yaml", "README.md"]),
      policies: keyfleetPolicies,
    });
    assert.equal(code, 1);
    assert.equal(runner.calls.length, 1); // prod did not change
    assert.deepEqual(runner.calls[0]!.slice(0, 7), [
      "preview",
      "--stack",
      "dev",
      "--json",
      "--show-sames",
      "--non-interactive",
      "--policy-pack",
    ]);
    assert.match(
      out.join(""),
      /stack dev: FAILED — 1 mandatory policy violation; the rollout burst does not fit vault kv1: apply in 2 waves/,
    );

    const outDir = path.join(cwd, ".keyfleet", "pr-check");
    const markdown = readFileSync(path.join(outDir, "pr-check.md"), "utf8");
    const json = readFileSync(path.join(outDir, "pr-check.json"), "utf8");
    const report = JSON.parse(json) as PrCheckReport;
    assert.equal(report.passed, false);
    assert.deepEqual(report.unchangedStacks, ["prod"]);
    const [dev] = report.stacks;
    assert.deepEqual(
      dev!.rollout.waves.map((w) => w.clusters.length),
      [9, 3],
    ); // ⌊(400 − steady) / 40⌋ = 9
    assert.equal(
      dev!.violations[0]!.message,
      "role Key Vault Secrets Officer on kv1 lets the sync identity write secrets",
    );
    assert.match(dev!.violations[0]!.remediation, /Secrets User/);
    assert.ok(existsSync(path.join(outDir, "plan-dev.svg")));
    // Nothing that changes from run to run, and no secret placeholder or value.
    for (const text of [markdown, json]) {
      assert.doesNotMatch(text, /\[secret\]|\d{4}-\d\d-\d\dT|1700000000/);
    }
    compareWithSnapshot("pr-check-unsafe.md", markdown);
    compareWithSnapshot("pr-check-unsafe.json", json);
  });

  it("a change the vault absorbs and the pack accepts: exit 0; the pack config's vault limit is the burst's", async () => {
    const cwd = workspace();
    dirs.push(cwd);
    writeFileSync(
      path.join(cwd, "policies", "config.prod.json"),
      JSON.stringify({ "keyfleet-jitter-sufficient": { vaultLimitPer10s: 2000 } }),
    );
    const before = fleet();
    const after = change(before, "arc-05-spc", (i) => {
      i.spec.parameters.tenantID = "99999999-2222-3333-4444-555555555555";
    });
    const runner = fakeRunner(() => ({ stdout: JSON.stringify(digestOf(before, after)) }));
    const { io: testIo } = io();
    const code = await runPrCheck(["--base", "main", "--stacks", "prod", "--all"], testIo, {
      cwd,
      runner,
      changedFiles: () => Promise.resolve([]),
      policies: keyfleetPolicies,
    });
    assert.equal(code, 0);
    assert.ok(runner.calls[0]!.includes("--policy-pack-config"));
    const report = JSON.parse(
      readFileSync(path.join(cwd, ".keyfleet/pr-check/pr-check.json"), "utf8"),
    ) as PrCheckReport;
    const [kv] = report.stacks[0]!.rollout.vaults;
    assert.equal(kv!.limitPerSecond, 200);
    assert.equal(kv!.burstObjects, 40);
    assert.equal(report.stacks[0]!.rollout.safe, true);
    assert.match(
      readFileSync(path.join(cwd, ".keyfleet/pr-check/pr-check.md"), "utf8"),
      /## keyfleet pr-check — passed/,
    );
  });

  it("a preview that prints no JSON fails its stack with the engine's words; bad flags exit 2", async () => {
    const cwd = workspace();
    dirs.push(cwd);
    const runner = fakeRunner(() => ({ code: 255, stdout: "", stderr: "error: could not load plugin\n" }));
    const { io: testIo, err } = io();
    const deps = {
      cwd,
      runner,
      changedFiles: () => Promise.resolve(["components/x.ts"]),
      policies: keyfleetPolicies,
    };
    assert.equal(await runPrCheck(["--base", "main"], testIo, deps), 1);
    const report = JSON.parse(
      readFileSync(path.join(cwd, ".keyfleet/pr-check/pr-check.json"), "utf8"),
    ) as PrCheckReport;
    assert.deepEqual(
      report.stacks.map((s) => s.stack),
      ["dev", "prod"],
    );
    assert.match(
      report.stacks[0]!.errors[0]!,
      /printed no preview.*\(exit 255\):\n {2}error: could not load plugin/s,
    );

    assert.equal(await runPrCheck([], testIo, deps), 2);
    assert.match(err.join(""), /--base is required/);
    assert.equal(await runPrCheck(["--base", "main", "--stacks", "nope"], testIo, deps), 2);
    assert.match(err.join(""), /no stacks\/Pulumi\.nope\.yaml; allowed: dev, prod/);
  });
});
