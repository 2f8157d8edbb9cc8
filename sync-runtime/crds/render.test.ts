import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { crdsCommand } from "../cli.ts";
import { keyfleetCrds } from "./index.ts";

async function run(argv: string[]) {
  let out = "";
  let err = "";
  const code = await crdsCommand(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

void describe("keyfleet crds", () => {
  void it("prints exactly the CRDs keyfleet installs, as YAML documents", async () => {
    const { code, out } = await run([]);
    assert.equal(code, 0);
    assert.deepEqual(
      parseAllDocuments(out).map((d) => d.toJSON() as unknown),
      keyfleetCrds(),
    );
  });
  void it("leaves out what --exclude names (CRDs another engine installed)", async () => {
    const { code, out } = await run(["--exclude", "secretproviderclasses.secrets-store.csi.x-k8s.io"]);
    assert.equal(code, 0);
    assert.deepEqual(
      parseAllDocuments(out).map((d) => (d.toJSON() as { metadata: { name: string } }).metadata.name),
      ["secretsyncs.secret-sync.x-k8s.io", "akvsyncs.secret-sync.x-k8s.io"],
    );
  });
  const bad: Array<[string[], RegExp]> = [
    [["--exclude", "nope"], /--exclude: unknown CRD nope; allowed: secretsyncs/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
  ];
  for (const [argv, expected] of bad) {
    void it(`exits 2 on ${argv.join(" ")}`, async () => {
      const { code, err, out } = await run(argv);
      assert.equal(code, 2);
      assert.equal(out, "");
      assert.match(err, expected);
    });
  }
});
