/**
 * captureStack contract: deterministic (prod captured twice in one process gives the same graph — which also
 * proves sequential reuse in one process), equal to the child-process capture, secrets redacted. Prints prod's
 * synth time and resource count (reported, never asserted).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { captureStack, captureStackDetailed, captureStackInChildProcess, redactValue } from "./capture.ts";
import { snapshotOf } from "./snapshot.ts";

const opts = { runtimeBundle: "stub" as const, crds: [] };
/** prod's 62 Arc/edge kubeconfigs, given the way a test config would (the sample stack file holds none). */
const prodOpts = { runtimeBundle: "stub" as const, secretConfig: () => "apiVersion: v1\nkind: Config\n" };

/** Every thousands-separated "N resources" in the README and docs/iac.md: only prod is that large. */
function documentedProdCounts(): string[] {
  const root = path.resolve(import.meta.dirname, "../..");
  const text = ["README.md", "docs/iac.md"].map((f) => readFileSync(path.join(root, f), "utf8")).join("\n");
  return [...text.matchAll(/(\d{1,3}(?:,\d{3})+) resources/g)].map((m) => m[1]!);
}

// Two prod captures: about 10 s each on a quiet machine, over two minutes each beside Go builds (load 13).
void test(
  "prod synth is deterministic and large (>= 200 clusters), and its count is the documented one",
  { timeout: 900_000 },
  async () => {
    const t0 = performance.now();
    const first = await captureStackDetailed("prod", prodOpts);
    const t1 = performance.now();
    const second = await captureStackDetailed("prod", prodOpts);
    const t2 = performance.now();
    assert.deepEqual(snapshotOf(second.resources), snapshotOf(first.resources));
    assert.deepEqual(second.outputs, first.outputs);
    const clusters = first.resources.filter((r) => r.type === "keyfleet:index:ClusterSecrets").length;
    assert.ok(clusters >= 200, String(clusters));
    assert.equal(new Set(first.resources.map((r) => r.urn)).size, first.resources.length, "URNs are unique");
    const counts = documentedProdCounts();
    assert.ok(counts.length >= 3, counts.join());
    for (const n of counts)
      assert.equal(n, first.resources.length.toLocaleString("en-US"), "README/docs prod count");
    console.log(
      `prod synth: ${first.resources.length} resources, ${clusters} clusters; ${Math.round(t1 - t0)} ms first, ${Math.round(t2 - t1)} ms second`,
    );
  },
);

void test("a child-process capture returns the same graph as an in-process one", async () => {
  const inProcess = await captureStack("dev", { ...opts, allowMissingSecrets: true });
  const child = await captureStackInChildProcess("dev", ["--bundle", "stub", "--allow-missing-secrets"]);
  assert.deepEqual(child.resources, inProcess);
});

void test("every resource has a parent except the root stack, and providers are URNs", async () => {
  const resources = await captureStack("local", { ...opts, crds: [] });
  assert.deepEqual(
    resources.filter((r) => !r.parent).map((r) => r.type),
    ["pulumi:pulumi:Stack"],
  );
  for (const r of resources.filter((x) => x.provider))
    assert.match(r.provider!, /^urn:pulumi:local::keyfleet::.*pulumi:providers:kubernetes::local-k8s$/);
});

void test("redactValue marks secrets, resource references and unknowns", () => {
  const paths: string[] = [];
  const value = redactValue(
    {
      b: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "hunter2" },
      a: [
        { "4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e", urn: "urn:x" },
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      ],
    },
    "",
    paths,
  );
  assert.deepEqual(value, { a: [{ $ref: "urn:x" }, "[unknown]"], b: "[secret]" });
  assert.deepEqual(paths, ["b"]);
});
