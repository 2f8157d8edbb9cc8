import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { runJitter, runPlan, type CommandIo } from "./cli.ts";

function capture(): CommandIo & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return { out: (t) => (out += t), err: (t) => (err += t), stdout: () => out, stderr: () => err };
}

describe("keyfleet jitter", () => {
  it("--json prints Microsoft's example: 700 × 30 at 0.01 % → J ≈ 189.27 s (190), risk ≈ 0.0034 %", async () => {
    const io = capture();
    assert.equal(
      await runJitter(["--clusters", "700", "--secrets-per-cluster", "30", "--risk", "0.0001", "--json"], io),
      0,
    );
    const result = JSON.parse(io.stdout()) as Record<string, number>;
    assert.ok(Math.abs(result.jitterSeconds! - 189.2691892496578) < 1e-9);
    assert.equal(result.recommendedJitterSeconds, 190);
    assert.ok(Math.abs(result.threshold! - 400 / 30) < 1e-12);
    assert.ok(Math.abs(result.lambda! - 3.698436088700399) < 1e-12);
    assert.ok(Math.abs(result.risk! - 3.356725596448321e-5) < 1e-13);
    assert.equal((result.risk! * 100).toFixed(4), "0.0034");
    assert.equal(io.stderr(), "");
  });

  it("prints a readable summary by default", async () => {
    const io = capture();
    assert.equal(await runJitter(["--clusters", "700", "--secrets-per-cluster", "30"], io), 0);
    assert.match(io.stdout(), /required jitter J = 189\.27 s → set jitterSeconds ≥ 190/);
    assert.match(io.stdout(), /risk at J: 0\.0034 % per second/);
  });

  const BAD: Array<[string, string[], RegExp]> = [
    ["a missing --clusters", ["--secrets-per-cluster", "3"], /--clusters is required/],
    [
      "a fractional cluster count",
      ["--clusters", "2.5", "--secrets-per-cluster", "3"],
      /--clusters must be a whole number ≥ 1, got "2.5"/,
    ],
    [
      "a risk given as a percentage",
      ["--clusters", "2", "--secrets-per-cluster", "3", "--risk", "1"],
      /--risk must be a fraction greater than 0 and less than 0.5/,
    ],
    [
      "a zero vault limit",
      ["--clusters", "2", "--secrets-per-cluster", "3", "--vault-limit", "0"],
      /--vault-limit must be a number > 0/,
    ],
    ["an unknown flag", ["--clusterz", "2"], /Unknown option '--clusterz'/],
  ];
  for (const [name, argv, message] of BAD) {
    it(`exits 2 on ${name}`, async () => {
      const io = capture();
      assert.equal(await runJitter(argv, io), 2);
      assert.match(io.stderr(), message);
      assert.equal(io.stdout(), "");
    });
  }

  it("exits 1 when no jitter can meet the risk", async () => {
    const io = capture();
    assert.equal(await runJitter(["--clusters", "10", "--secrets-per-cluster", "400"], io), 1);
    assert.match(io.stderr(), /no jitter keeps the per-second risk/);
  });
});

const FLEET = (vault: string, objects: string) => `config:
  keyfleet:fleet:
    azure: { tenantId: 11111111-2222-3333-4444-555555555555, subscriptionId: 66666666-7777-8888-9999-000000000000 }
    engines:
      arc-extension: { rotationPollInterval: 10m, jitterSeconds: 60 }
    vaults:
      - { name: kv-a, mode: create, resourceGroup: rg, location: westeurope }
    clusters:
      - name: arc-1
        kind: arc
        engine: arc-extension
        vault: ${vault}
        resourceGroup: rg
        location: westeurope
        oidcIssuerUrl: https://oidc.example.net/arc-1
        kubeconfig: { from: config-secret, key: kc }
        namespaces:
          - name: app
            serviceAccount: app-sync
            secrets:
              - name: s
                objects: ${objects}
`;

function stacksDir(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "keyfleet-plan-"));
  writeFileSync(path.join(dir, "Pulumi.t.yaml"), yaml);
  return dir;
}

describe("keyfleet plan", () => {
  it("plans the dev stack as JSON and writes the picture", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "keyfleet-svg-")), "dev.svg");
    const io = capture();
    assert.equal(await runPlan(["--stack", "dev", "--out", out, "--json"], io), 0);
    const plan = JSON.parse(io.stdout()) as { svg: string; vaults: Array<Record<string, unknown>> };
    assert.equal(plan.svg, out);
    const [vault] = plan.vaults;
    assert.equal(vault!.vault, "kf-dev-weu");
    assert.equal(vault!.status, "ok");
    assert.equal(vault!.clusters, 2);
    assert.equal(typeof vault!.requiredJitterSeconds, "number");
    assert.equal(vault!.worstStalenessSeconds, 660);
    const svg = readFileSync(out, "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /vault kf-dev-weu: 2 clusters/);
    assert.match(svg, /limit 400 requests\/s/);
  });

  it("prints per-vault clusters, poll/jitter, required jitter, peak and staleness", async () => {
    const io = capture();
    const out = path.join(mkdtempSync(path.join(tmpdir(), "keyfleet-svg-")), "t.svg");
    assert.equal(
      await runPlan(
        ["--stack", "t", "--out", out],
        io,
        stacksDir(FLEET("kv-a", "[{ objectName: a }, { objectName: b }]")),
      ),
      0,
    );
    const text = io.stdout();
    assert.match(text, /vault kv-a: OK/);
    assert.match(text, /arc-extension +1 cluster, up to 2 objects, poll 600 s, jitter 60 s/);
    assert.match(text, /required jitter 0\.01 s \(configure ≥ 1 s/);
    assert.match(text, /peak requests\/s .*: 2 with the configured jitter, 2 without/);
    assert.match(text, /worst-case staleness \(poll \+ jitter\): 660 s/);
    assert.match(text, new RegExp(`request-rate picture: ${out.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });

  it("exits 2 naming an unknown --vault", async () => {
    const io = capture();
    assert.equal(await runPlan(["--stack", "dev", "--vault", "nope"], io), 2);
    assert.match(io.stderr(), /unknown vault "nope"; allowed: kf-dev-weu/);
  });

  it("exits 2 naming a cluster's unknown vault", async () => {
    const io = capture();
    assert.equal(
      await runPlan(["--stack", "t"], io, stacksDir(FLEET("kv-missing", "[{ objectName: a }]"))),
      2,
    );
    assert.match(io.stderr(), /clusters\[0\]\.vault: unknown vault "kv-missing"; allowed: kv-a/);
  });

  it("exits 2 when a vault has no secrets to count", async () => {
    const io = capture();
    assert.equal(await runPlan(["--stack", "t"], io, stacksDir(FLEET("kv-a", "[]"))), 2);
    assert.match(io.stderr(), /keyfleet plan: /);
  });

  it("exits 2 without --stack, and for a stack that does not exist", async () => {
    const a = capture();
    assert.equal(await runPlan([], a), 2);
    assert.match(a.stderr(), /--stack is required/);
    const b = capture();
    assert.equal(await runPlan(["--stack", "nope"], b), 2);
    assert.match(b.stderr(), /Pulumi\.nope\.yaml/);
  });
});
