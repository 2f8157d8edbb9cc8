/**
 * What a nightly drift job meets on a real fleet besides hand edits: a refresh taken while a Deployment rolls out
 * (real 3.276 + provider 4.25 output from the proving ground) and other controllers' labels and annotations
 * (`--ignore-manager`, `KEYFLEET_DRIFT_IGNORE_MANAGERS`).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { UsageError } from "../planner/args.ts";
import { fakeRunner } from "../../test/support/gitops-preview.ts";
import type { Props } from "../lib/props.ts";
import { DRIFT_IGNORE_MANAGERS_ENV, parseDriftArgs } from "./args.ts";
import { renderDriftMarkdown } from "./drift-markdown.ts";
import { driftReport, type DriftReport } from "./drift-report.ts";
import { runDrift } from "./drift.ts";
import { handAddedMetadata, matchesManagerRule } from "./metadata-drift.ts";

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, "__fixtures__", `refresh-preview-${name}-3.276.jsonl`), "utf8");
/**
 * `kubectl rollout restart` of the runtime Deployment, then at once `pulumi preview --refresh --expect-no-changes
 * --json` (streamed): the refresh read the Deployment 9 s later, mid-rollout; the engine planned an update with no
 * diff (`old.initErrors` set, no `diffs`, `detailedDiff` {}), and the preview exited non-zero. Trimmed to the
 * Deployment and a PodDisruptionBudget (debug lines and unused outputs dropped).
 */
const ROLLOUT = fixture("rollout");
/** The same with the node cordoned (a new pod Pending, as in a drain) and `kubectl scale --replicas=3` on top. */
const ROLLOUT_SCALED = fixture("rollout-scaled");
const DEPLOYMENT = "local-runtime-deployment";
const REASONS = [
  "Resource 'keyfleet-sync-runtime' was created but failed to initialize",
  "Minimum number of Pods to consider the application live was not attained",
  "[Pod keyfleet-system/keyfleet-sync-runtime-586c7b9967-p28dp]: containers with incomplete status: [unpack-runtime][PodInitializing]",
];

describe("keyfleet drift: not ready at refresh", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("a refresh during a rollout is not drift: the Deployment is listed as not ready, with the provider's reasons", () => {
    const { report, errors } = driftReport("local", ROLLOUT);
    assert.deepEqual(errors, []);
    assert.deepEqual(report.drifted, []);
    assert.deepEqual(
      report.unready.map((u) => [u.name, u.type, u.reasons]),
      [[DEPLOYMENT, "kubernetes:apps/v1:Deployment", REASONS]],
    );
    const markdown = renderDriftMarkdown(report);
    assert.match(markdown, /^## keyfleet drift — stack `local`: no drift\n/);
    assert.match(markdown, /### Not ready at refresh \(not drift\): 1 resource\n/);
    assert.match(
      markdown,
      /\| `local-runtime-deployment` \| `kubernetes:apps\/v1:Deployment` \| .*Minimum number of Pods to consider the application live was not attained; \[Pod /,
    );
  });

  it("a change while not ready is still drift (the real engine's conflict on spec.replicas), and listed as not ready", () => {
    const { report, errors } = driftReport("local", ROLLOUT_SCALED);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.kind, d.changedPaths, d.conflict?.managers]),
      [[DEPLOYMENT, "conflict", ["spec.replicas"], ["kubectl"]]],
    );
    assert.deepEqual(
      report.unready.map((u) => u.name),
      [DEPLOYMENT],
    );
    assert.match(report.unready[0]!.reasons.join("\n"), /MinimumReplicasUnavailable/);
  });

  it("an update with any diff path is drift even when the refreshed state has init errors", () => {
    // The rollout fixture with one input difference added to the planned update (as a changed image would be).
    const edited = ROLLOUT.split("\n")
      .map((line) => {
        if (!line.includes('"op":"update"')) return line;
        const event = JSON.parse(line) as { resourcePreEvent: { metadata: Props } };
        event.resourcePreEvent.metadata.detailedDiff = {
          "spec.template.spec.containers[0].image": { diffKind: "update", inputDiff: true },
        };
        return JSON.stringify(event);
      })
      .join("\n");
    assert.notEqual(edited, ROLLOUT);
    const { report } = driftReport("local", edited);
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.kind, d.op, d.changedPaths]),
      [[DEPLOYMENT, "program", "update", ["spec.template.spec.containers[0].image"]]],
    );
    assert.deepEqual(
      report.unready.map((u) => u.name),
      [DEPLOYMENT],
    );
  });

  it("exit 0 when only not ready (the preview itself exited non-zero), 1 when drifted too", async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), "keyfleet-drift-rules-"));
    dirs.push(cwd);
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: () => undefined };
    const rolling = fakeRunner(() => ({ code: 255, stdout: ROLLOUT }));
    assert.equal(await runDrift(["--stack", "local"], io, { cwd, runner: rolling }), 0);
    assert.match(
      out.join(""),
      /stack local: no drift; not ready at refresh \(a rollout in progress\?\), not drift: local-runtime-deployment; report: .*drift-local\.md\n/,
    );
    const json = JSON.parse(
      readFileSync(path.join(cwd, ".keyfleet/drift/drift-local.json"), "utf8"),
    ) as DriftReport;
    assert.deepEqual(json.unready[0]!.reasons, REASONS);
    const scaled = fakeRunner(() => ({ code: 255, stdout: ROLLOUT_SCALED }));
    assert.equal(await runDrift(["--stack", "local"], io, { cwd, runner: scaled }), 1);
  });
});

/** A live object whose label `key` is owned by `manager` (managedFields as the apiserver writes them). */
function labelledBy(entries: Array<[manager: string, key: string]>): Props {
  return {
    metadata: {
      labels: Object.fromEntries(entries.map(([, key]) => [key, "x"])),
      managedFields: entries.map(([manager, key]) => ({
        manager,
        operation: "Update",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": { "f:labels": { [`f:${key}`]: {} } } },
      })),
    },
  };
}

describe("keyfleet drift: other controllers' field managers", () => {
  const rules: Array<[string, string[], string, boolean]> = [
    ["an exact name", ["argocd-controller"], "argocd-controller", true],
    ["an exact name is not a prefix", ["argocd"], "argocd-controller", false],
    ["a prefix", ["flux-*", "reloader"], "flux-kustomize", true],
    ["a prefix matches itself", ["kustomize-controller*"], "kustomize-controller", true],
    ["no rule", [], "kubectl-label", false],
    ["kubectl is not a prefix of kubectl-label unless asked", ["kubectl"], "kubectl-label", false],
  ];
  for (const [name, patterns, manager, expected] of rules)
    it(`matchesManagerRule: ${name}`, () => assert.equal(matchesManagerRule(patterns, manager), expected));

  it("handAddedMetadata: keys of ignored managers are not drift, and the result names who was ignored", () => {
    const live = labelledBy([
      ["argocd-controller", "argocd.argoproj.io/instance"],
      ["flux-kustomize", "kustomize.toolkit.fluxcd.io/name"],
      ["kubectl-label", "team"],
    ]);
    assert.deepEqual(handAddedMetadata({}, live, ["argocd-controller", "flux-*", "reloader"]), {
      paths: ['metadata.labels["team"]'],
      managers: ["kubectl-label"],
      ignored: ["argocd-controller", "flux-kustomize"],
    });
    assert.deepEqual(handAddedMetadata({}, live).managers, [
      "argocd-controller",
      "flux-kustomize",
      "kubectl-label",
    ]);
  });

  it("the real engine's hand-added label, its manager ignored: only the annotation is drift; the rule is reported", () => {
    const text = fixture("hand-labels");
    const { report } = driftReport("local", text, {
      ignoreManagers: ["reloader", "kubectl-label", "reloader"],
    });
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.addedBy]),
      [["local-demo-sync-app-config", ["kubectl-annotate"]]],
    );
    assert.deepEqual(
      [report.ignoredManagers, report.ignoredManagersSeen],
      [["kubectl-label", "reloader"], ["kubectl-label"]],
    );
    assert.match(
      renderDriftMarkdown(report),
      /\nNot drift by rule \(`--ignore-manager`\): labels and annotations added by `kubectl-label`, `reloader`; seen on this stack: `kubectl-label`\.\n$/,
    );
    const none = driftReport("local", text, { ignoreManagers: ["argocd-*"] }).report;
    assert.equal(none.drifted.length, 2);
    assert.match(renderDriftMarkdown(none), /`argocd-\*`; none of them added any on this stack\.\n$/);
    assert.doesNotMatch(renderDriftMarkdown(driftReport("local", text).report), /Not drift by rule/);
  });

  it("--ignore-manager is repeatable and adds to KEYFLEET_DRIFT_IGNORE_MANAGERS; bad patterns name their source", () => {
    const env = { [DRIFT_IGNORE_MANAGERS_ENV]: " argocd-controller, flux-* ,," };
    const args = parseDriftArgs(
      ["--stack", "prod", "--ignore-manager", "reloader", "--ignore-manager", "argocd-controller"],
      env,
    );
    assert.deepEqual(args.ignoreManagers, ["argocd-controller", "flux-*", "reloader"]);
    assert.deepEqual(
      parseDriftArgs(["--stack", "prod"], { [DRIFT_IGNORE_MANAGERS_ENV]: "" }).ignoreManagers,
      [],
    );
    const refused: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [["--ignore-manager", "*"], {}, /--ignore-manager: "\*" would ignore every field manager/],
      [["--ignore-manager", "argo*cd"], {}, /"argo\*cd" has "\*" before its end/],
      [["--ignore-manager", " "], {}, /" " is empty/],
      [
        [],
        { [DRIFT_IGNORE_MANAGERS_ENV]: "argocd controller" },
        /^KEYFLEET_DRIFT_IGNORE_MANAGERS: .* has a space/,
      ],
    ];
    for (const [argv, environment, message] of refused)
      assert.throws(
        () => parseDriftArgs(["--stack", "prod", ...argv], environment),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
  });
});
