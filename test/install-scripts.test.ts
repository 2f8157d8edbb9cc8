/**
 * Every dependency with an install script is decided in package.json's `allowScripts` (npm ≥ 11.19 asks, and a
 * later npm may refuse undecided ones): a dependency update that brings a new install script fails here until
 * someone decides it, and README's toolchain table says why each one is allowed or not.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { it } from "node:test";

const root = path.resolve(import.meta.dirname, "..");
const read = (file: string) =>
  JSON.parse(readFileSync(path.join(root, file), "utf8")) as Record<string, unknown>;

void it("package.json's allowScripts decides exactly the locked packages that have install scripts", () => {
  const lock = read("package-lock.json") as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([at]) => at.slice(at.lastIndexOf("node_modules/") + "node_modules/".length));
  const decided = read("package.json").allowScripts as Record<string, boolean>;
  assert.deepEqual(Object.keys(decided).sort(), [...new Set(withScripts)].sort());
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  for (const [name, allowed] of Object.entries(decided))
    assert.match(
      readme,
      new RegExp(
        `\`${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\` \\(${allowed ? "allowed" : "not run"}\\)`,
      ),
      `README names ${name}'s install script and the decision`,
    );
});
