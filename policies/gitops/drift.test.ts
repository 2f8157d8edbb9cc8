import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { HarnessResource } from "../harness/evaluate.ts";
import { bundledCluster, change, STACK_URN } from "../../test/support/policy-fixtures.ts";
import { driftReport, renderDriftMarkdown, runDrift } from "./drift.ts";
import { digestOf, fakeRunner } from "../../test/support/gitops-preview.ts";

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
      report.drifted.map((d) => [d.name, d.op, d.changedPaths]),
      [["edge-1-akvsync", "update", ["spec.objects[1]"]]],
    );
    assert.equal(
      renderDriftMarkdown(report),
      "## keyfleet drift — stack `local`: 1 resource(s) changed outside Pulumi\n\n" +
        "The next `pulumi up` would set these back to what the program declares:\n\n" +
        "| resource | type | next up | inputs that differ |\n|---|---|---|---|\n" +
        "| `edge-1-akvsync` | `kubernetes:secret-sync.x-k8s.io/v1alpha1:AKVSync` | update | `spec.objects[1]` |\n",
    );
  });

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
