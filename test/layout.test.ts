/**
 * README's Architecture section names every top-level folder with its one responsibility: a folder added without a
 * line, or a line left for a folder that is gone, fails here.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { it } from "node:test";

const root = path.resolve(import.meta.dirname, "..");

void it("README's folder table lists exactly the repository's top-level folders", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Architecture"), readme.indexOf("## Getting started"));
  const listed = [...section.matchAll(/^\| `([^`]+)\/` +\|/gm)].map((m) => m[1]!);
  const tracked = execFileSync("git", ["ls-tree", "-d", "--name-only", "HEAD"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\n")
    .filter((name) => name && !name.startsWith("."));
  assert.deepEqual([...listed].sort(), tracked.sort());
  assert.equal(new Set(listed).size, listed.length, "each folder once");
});
