/**
 * The pull-request and GitOps loop with the real Pulumi engine on the `local` stack, on a private proving ground
 * (control plane, worker node, vault stand-in, engine) and a throwaway git copy of the project whose `main` is
 * deployed: `keyfleet pr-check --base main` on pull-request branches (a change that passes; one a mandatory rule
 * stops; one whose rollout burst a small vault cannot absorb, its Markdown report compared with a golden file);
 * `keyfleet rollout` applying that change in waves, each after the previous wave's SecretSyncs are Ready, and
 * stopping when they are not; `keyfleet drift` before and after hand edits of a RoleBinding and a SecretSync (a
 * list item, a field the program sets, a label and an annotation added with `kubectl`'s field manager names; a
 * label under Argo CD's field manager, which `--ignore-manager argocd-*` hides).
 * Secret values are compared as hashes and searched for in every report and output, never printed.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import type { PrCheckReport } from "../../policies/gitops/report.ts";
import type { DriftReport } from "../../policies/gitops/drift-report.ts";
import { startProvingGround, stopProvingGround, type ProvingGround } from "../../scripts/local/ground.ts";
import { Progress } from "../../scripts/local/progress.ts";
import { adminCredential, localVaultClients, localVaultUrl } from "../azure-local/sdk.ts";
import {
  CONTROLLER_LABEL,
  editByHand,
  HAND_ANNOTATION,
  HAND_LABEL,
  HAND_SUBJECT,
} from "../support/gitops-hand-edits.ts";
import {
  copyProject,
  groundPulumi,
  keyfleet,
  leftovers,
  type CommandRun,
  type FleetConfig,
  type ProjectCopy,
} from "./gitops-harness.ts";

const GOLDEN = path.join(import.meta.dirname, "__snapshots__", "pr-check-local-burst.md");
const ANALYZER = ["--policy-pack", "policies/keyfleet-analyzer"];
/** A team whose vault takes 60 reads per 10 s, with the jitter rule advisory (one cluster cannot spread a burst). */
const SMALL_VAULT = {
  "keyfleet-poll-interval-bounds": { minPollIntervalSeconds: 5 },
  "keyfleet-jitter-sufficient": { enforcementLevel: "advisory", vaultLimitPer10s: 60 },
  "keyfleet-vault-read-budget": { vaultLimitPer10s: 60 },
};
const LONG = { timeout: 15 * 60_000 };

const work = mkdtempSync(path.join(os.tmpdir(), "kf-gitops-"));
const stateDir = path.join(work, "ground");
const smallVaultConfig = path.join(work, "small-vault.json");
let ground: ProvingGround | undefined;
let envFile = "";
let copy: ProjectCopy;
let kc: k8s.KubeConfig;
let objects: k8s.CustomObjectsApi;
let core: k8s.CoreV1Api;
const secretValues: string[] = [];
const outputs: string[] = [];
const timings: string[] = [];

const fingerprint = (v: string | undefined) =>
  createHash("sha256")
    .update(v ?? "absent")
    .digest("hex");

/** Runs a step, keeps its output for the secrecy sweep and its time for the record. */
async function step(label: string, run: () => Promise<CommandRun>): Promise<CommandRun> {
  const result = await run();
  outputs.push(result.stdout, result.stderr);
  timings.push(`${label}: ${result.seconds.toFixed(1)} s (exit ${result.code})`);
  return result;
}

/** Adds SecretSyncs named `names` to namespace `demo`, each reading `objects` from the stack's vault. */
function addSecrets(fleet: FleetConfig, names: string[], objects: string[]): void {
  fleet.clusters[0]!.namespaces.find((n) => n.name === "demo")!.secrets.push(
    ...names.map((name) => ({
      name,
      objects: objects.map((objectName, i) => ({ objectName, key: `key-${i}` })),
    })),
  );
}

type Sync = {
  metadata: { name: string; creationTimestamp: string };
  status?: { conditions?: Array<{ type: string; status: string; lastTransitionTime: string }> };
};
const readSync = (name: string) =>
  objects
    .getNamespacedCustomObject({
      group: "secret-sync.x-k8s.io",
      version: "v1alpha1",
      namespace: "demo",
      plural: "secretsyncs",
      name,
    })
    .then((o) => o as Sync)
    .catch(() => undefined);
const readyAt = (s: Sync | undefined) =>
  s?.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True")?.lastTransitionTime;

function prCheck(branch: string, out: string, extra: string[] = []): Promise<CommandRun> {
  copy.git("checkout", "-q", branch);
  return step(`pr-check ${branch}`, () =>
    keyfleet(copy, envFile, ["pr-check", "--base", "main", ...ANALYZER, "--out", out, ...extra]),
  );
}
const report = (out: string) =>
  JSON.parse(readFileSync(path.join(out, "pr-check.json"), "utf8")) as PrCheckReport;

void describe("pull requests and GitOps on the local stack (real engine, private ground)", () => {
  before(async () => {
    ground = await startProvingGround({
      stateDir,
      reuse: false,
      node: true,
      pulumi: true,
      progress: new Progress("gitops"),
    });
    envFile = ground.env.envFile;
    kc = new k8s.KubeConfig();
    kc.loadFromFile(ground.env.kubernetes.adminKubeconfig);
    objects = kc.makeApiClient(k8s.CustomObjectsApi);
    core = kc.makeApiClient(k8s.CoreV1Api);
    writeFileSync(smallVaultConfig, JSON.stringify(SMALL_VAULT));
    copy = copyProject(path.join(work, "project"));
    copy.branch("pass", "main", (f) => (f.engines.bundled.rotationPollInterval = "20s"));
    copy.branch("mandatory", "main", (f) => (f.engines.bundled.rotationPollInterval = "3h"));
    copy.branch("burst", "main", (f) =>
      addSecrets(f, ["burst-1", "burst-2", "burst-3", "burst-4"], ["app-password", "db-password"]),
    );
    copy.branch("stuck", "burst", (f) => {
      // burst-5 is never Ready (a partial sync at best): the vault has no object named no-such-secret.
      addSecrets(f, ["burst-5"], ["no-such-secret", "app-password"]);
      addSecrets(f, ["burst-6", "burst-7", "burst-8"], ["api-token", "app-password"]);
    });
    copy.git("checkout", "-q", "main");
    const up = await step("pulumi up (main)", () =>
      groundPulumi(copy, envFile, ["up", "--stack", "local", "--yes", "--non-interactive"]),
    );
    assert.equal(up.code, 0, up.stderr.slice(-2000));
    const vault = localVaultClients(
      localVaultUrl(ground.env.vault),
      adminCredential(ground.env.identity),
      readFileSync(ground.env.vault.caFile, "utf8"),
    ).secrets;
    for (const name of ["app-password", "api-token", "db-password"])
      secretValues.push((await vault.getSecret(name)).value!);
  }, LONG);

  after(async () => {
    process.stderr.write(`gitops timings:\n  ${timings.join("\n  ")}\n`);
    const keep = process.env.KEYFLEET_GITOPS_REPORTS; // a folder to keep the reports in (for a look at them)
    if (keep)
      for (const dir of ["pass", "mandatory", "burst", "drift"])
        if (existsSync(path.join(work, dir)))
          cpSync(path.join(work, dir), path.join(keep, dir), { recursive: true });
    // Whatever the tests reached: stop the ground (its ledger too) and sweep what its node left on the host.
    await ground?.stop();
    if (existsSync(stateDir))
      await stopProvingGround(path.join(stateDir, "env.json"), stateDir, new Progress("gitops"));
    rmSync(work, { recursive: true, force: true });
  });

  void it("pr-check: a change that passes exits 0 and lists the resource changes", LONG, async () => {
    const out = path.join(work, "pass");
    const run = await prCheck("pass", out);
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assert.match(run.stdout, /stack local: passed/);
    const [local] = report(out).stacks;
    assert.deepEqual(report(out).unchangedStacks, ["dev", "prod"]); // git diff: only the local stack's file changed
    assert.deepEqual(
      local!.changes.map((c) => [c.op, c.name, c.changedPaths]),
      [["update", "local-runtime-deployment", ["spec.template.spec.containers[0].env[9].value"]]],
    );
    assert.match(
      readFileSync(path.join(out, "pr-check.md"), "utf8"),
      /\| update \| `kubernetes:apps\/v1:Deployment` \| `local-runtime-deployment` \|/,
    );
  });

  void it(
    "pr-check: a change a mandatory rule stops exits 1 naming the rule and its remediation",
    LONG,
    async () => {
      const out = path.join(work, "mandatory");
      const run = await prCheck("mandatory", out);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /stack local: FAILED — 1 mandatory policy violation\n/); // and nothing else
      const [local] = report(out).stacks;
      assert.deepEqual(local!.errors, []);
      assert.deepEqual(
        local!.violations.map((v) => [v.policyName, v.enforcementLevel, v.resourceName]),
        [["keyfleet-poll-interval-bounds", "mandatory", "local-runtime-deployment"]],
      );
      const markdown = readFileSync(path.join(out, "pr-check.md"), "utf8");
      assert.match(
        markdown,
        /\*\*\[mandatory\] keyfleet-poll-interval-bounds\*\*.*10802 s worst-case staleness/,
      );
      assert.match(markdown, /remediation: Set the poll interval in stack config/);
    },
  );

  void it(
    "pr-check: a burst the small vault cannot absorb exits 1 with the waves; the report matches its golden file",
    LONG,
    async () => {
      const out = path.join(work, "burst");
      const run = await prCheck("burst", out, ["--policy-config", smallVaultConfig]);
      assert.equal(run.code, 1);
      assert.match(
        run.stdout,
        /stack local: FAILED — the rollout burst does not fit vault keyfleet-local: apply in 2 waves\n/,
      );
      const { rollout, violations } = report(out).stacks[0]!;
      assert.ok(violations.every((v) => v.enforcementLevel === "advisory"));
      assert.deepEqual(
        rollout.waves.map((w) =>
          w.targets.filter((t) => t.includes(":SecretSync::")).map((t) => t.split("::").pop()),
        ),
        [
          ["local-demo-sync-burst-1", "local-demo-sync-burst-2"],
          ["local-demo-sync-burst-3", "local-demo-sync-burst-4"],
        ],
      );
      const markdown = readFileSync(path.join(out, "pr-check.md"), "utf8");
      assert.match(
        markdown,
        /Split the update into \*\*2 waves\*\*.*`keyfleet rollout --stack local` does this/s,
      );
      // Nothing in the report changes from run to run; normalise anyway what would (times, ids), then compare.
      const normalised = markdown
        .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, "<time>")
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
        .replace(/\b\d+(\.\d+)?\s?(ms|seconds)\b/g, "<duration>");
      if (process.env.KEYFLEET_UPDATE_SNAPSHOTS === "1") {
        mkdirSync(path.dirname(GOLDEN), { recursive: true });
        writeFileSync(GOLDEN, normalised);
      }
      assert.equal(normalised, readFileSync(GOLDEN, "utf8"), "review, then KEYFLEET_UPDATE_SNAPSHOTS=1");
    },
  );

  void it(
    "rollout: the waves go one after another, each once the previous wave's SecretSyncs are Ready",
    LONG,
    async () => {
      copy.git("checkout", "-q", "burst");
      const run = await step("rollout burst", () =>
        keyfleet(copy, envFile, [
          "rollout",
          "--stack",
          "local",
          ...ANALYZER,
          "--policy-config",
          smallVaultConfig,
          "--ready-timeout",
          "120",
        ]),
      );
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      assert.match(
        run.stdout,
        /wave 1\/2: 2 SecretSync\/AKVSync objects Ready\nwave 2\/2: local\n.*stack local: updated/s,
      );
      const [w1a, w1b, w2a, w2b] = await Promise.all(
        ["burst-1", "burst-2", "burst-3", "burst-4"].map(readSync),
      );
      const wave1Ready = Math.max(...[w1a, w1b].map((s) => Date.parse(readyAt(s)!)));
      const wave1Created = Math.max(...[w1a, w1b].map((s) => Date.parse(s!.metadata.creationTimestamp)));
      for (const s of [w2a, w2b]) {
        const created = Date.parse(s!.metadata.creationTimestamp); // whole seconds
        assert.ok(
          created >= Math.floor(wave1Ready / 1000) * 1000,
          `${s!.metadata.name} created before wave 1 was Ready`,
        );
        assert.ok(created - wave1Created >= 10_000, `${s!.metadata.name} created < 10 s after wave 1`);
        assert.ok(readyAt(s), `${s!.metadata.name} Ready`);
      }
      // Every new Secret holds the vault's values (compared as hashes).
      const [appPassword, , dbPassword] = secretValues;
      for (const name of ["burst-1", "burst-2", "burst-3", "burst-4"]) {
        const data = (await core.readNamespacedSecret({ namespace: "demo", name })).data ?? {};
        const value = (k: string) => (data[k] ? Buffer.from(data[k], "base64").toString("utf8") : undefined);
        assert.deepEqual(
          [fingerprint(value("key-0")), fingerprint(value("key-1"))],
          [fingerprint(appPassword), fingerprint(dbPassword)],
        );
      }
    },
  );

  void it(
    "drift: none after the rollout; hand edits of a RoleBinding and a SecretSync, labels and annotations too, show up",
    LONG,
    async () => {
      const out = path.join(work, "drift");
      const clean = await step("drift (clean)", () =>
        keyfleet(copy, envFile, ["drift", "--stack", "local", "--out", out]),
      );
      assert.equal(clean.code, 0, clean.stderr.slice(-2000));
      assert.match(clean.stdout, /stack local: no drift/);

      await editByHand(kc);
      const drifted = await step("drift (hand edits)", () =>
        keyfleet(copy, envFile, ["drift", "--stack", "local", "--out", out, "--ignore-manager", "argocd-*"]),
      );
      assert.equal(drifted.code, 1, drifted.stderr.slice(-2000));
      const json = JSON.parse(readFileSync(path.join(out, "drift-local.json"), "utf8")) as DriftReport;
      assert.deepEqual(json.ignoredManagersSeen, [CONTROLLER_LABEL.manager]); // its label is not drift
      const found = json.drifted;
      assert.deepEqual(
        found.map((d) => [d.name, d.kind, d.changedPaths, d.addedBy]),
        [
          [
            "local-demo-sync-app-config",
            "conflict",
            [`metadata.annotations["${HAND_ANNOTATION.key}"]`, "spec.secretObject.data[1].sourcePath"],
            ["kubectl-annotate"],
          ],
          [
            "local-runtime-tokens-demo-binding",
            "unseen",
            [`metadata.labels["${HAND_LABEL.key}"]`, "subjects[1]"],
            ["kubectl-label"],
          ],
        ],
      );
      assert.ok(
        found[0]!.conflict!.managers.every((m) => !m.startsWith("pulumi-kubernetes")),
        "the editor's field manager is named",
      );
      const markdown = readFileSync(path.join(out, "drift-local.md"), "utf8");
      for (const value of [HAND_SUBJECT, HAND_LABEL.value, HAND_ANNOTATION.value])
        assert.ok(!markdown.includes(value), `${value} in the report`); // paths and keys, never values
      outputs.push(markdown, readFileSync(path.join(out, "drift-local.json"), "utf8"));
    },
  );

  void it(
    "rollout: a wave whose SecretSyncs never become Ready stops the rollout before the next wave",
    LONG,
    async () => {
      copy.git("checkout", "-q", "stuck");
      const run = await step("rollout stuck", () =>
        keyfleet(copy, envFile, [
          "rollout",
          "--stack",
          "local",
          ...ANALYZER,
          "--policy-config",
          smallVaultConfig,
          "--ready-timeout",
          "5",
        ]),
      );
      assert.equal(run.code, 1);
      assert.match(run.stdout, /wave 1\/\d+: local\n/);
      assert.doesNotMatch(run.stdout, /wave 2\//);
      assert.match(run.stderr, /not Ready after 5 s: .*local-demo-sync-burst-5/);
      assert.ok(await readSync("burst-6"), "wave 1 was applied");
      assert.deepEqual(await Promise.all(["burst-7", "burst-8"].map(readSync)), [undefined, undefined]);
    },
  );

  void it("no secret value in any report or output", () => {
    const reports = ["pass", "mandatory", "burst"].flatMap((d) =>
      ["pr-check.md", "pr-check.json"].map((f) => readFileSync(path.join(work, d, f), "utf8")),
    );
    for (const text of [...reports, ...outputs])
      for (const value of secretValues)
        assert.ok(!text.includes(value), "a secret value appeared in a report or output");
    assert.equal(secretValues.length, 3);
  });

  void it("stopping the ground leaves no process, mount or bridge", LONG, async () => {
    await ground!.stop();
    await stopProvingGround(envFile, stateDir, new Progress("gitops"));
    ground = undefined;
    // Lazy unmounts and dying shims take a moment to leave the host's tables.
    let left = leftovers(stateDir);
    for (let i = 0; i < 20 && (left.processes.length > 0 || left.mounts.length > 0 || left.bridge); i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      left = leftovers(stateDir);
    }
    assert.deepEqual(left, { processes: [], mounts: [] });
  });
});
