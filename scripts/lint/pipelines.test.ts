/**
 * The pipeline examples users copy (pipelines/): each passes a real linter for its format — actionlint for GitHub
 * Actions, the published Azure Pipelines schema through check-jsonschema — and calls only keyfleet commands and
 * flags the CLI accepts. Each linter is also shown a broken file, so a linter that passes everything fails here.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { USAGE } from "../../bin/cli.ts";
import { parse as parseYaml } from "yaml";
import { parseDriftArgs, parsePrCheckArgs, parseRolloutArgs } from "../../policies/gitops/args.ts";
import { PROGRAM_PATHS } from "../../policies/gitops/stacks.ts";
import { REPO_ROOT } from "../local/paths.ts";
import { Progress } from "../local/progress.ts";
import { ensureActionlint, ensureCheckJsonschema } from "./linters.ts";

const GITHUB = globSync("pipelines/github-actions/*.yml", { cwd: REPO_ROOT }).sort();
const AZURE = globSync("pipelines/azure-pipelines/*.yml", { cwd: REPO_ROOT }).sort();
// actionlint runs shellcheck/pyflakes when they are on PATH; off, so every machine checks the same things.
const ACTIONLINT_FLAGS = ["-shellcheck=", "-pyflakes=", "-no-color"];
const SCHEMA_FLAGS = [
  "--builtin-schema",
  "vendor.azure-pipelines",
  "--data-transform",
  "azure-pipelines",
  // The vendored schema's patterns use escapes ECMA regexes reject; Python's engine reads them.
  "--regex-variant",
  "python",
];

async function run(file: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd: REPO_ROOT });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe("pipeline examples", () => {
  const progress = new Progress("lint");
  let actionlint: string;
  let checkJsonschema: string;
  let scratch: string;
  before(async () => {
    actionlint = await ensureActionlint(progress);
    checkJsonschema = await ensureCheckJsonschema(progress);
    scratch = mkdtempSync(path.join(os.tmpdir(), "keyfleet-pipelines-"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("has GitHub Actions and Azure Pipelines examples for PR, deploy and drift", () => {
    const names = (files: string[]) => files.map((f) => path.basename(f));
    const expected = ["keyfleet-deploy.yml", "keyfleet-drift.yml", "keyfleet-pr.yml"];
    assert.deepEqual(names(GITHUB), expected);
    assert.deepEqual(names(AZURE), expected);
  });

  it("GitHub Actions workflows pass actionlint", async () => {
    const result = await run(actionlint, [...ACTIONLINT_FLAGS, ...GITHUB]);
    assert.equal(result.code, 0, result.output);
  });

  it("actionlint rejects a broken workflow (unknown context property, missing runs-on)", async () => {
    const broken = path.join(scratch, "broken.yml");
    writeFileSync(broken, "on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ github.evnt.number }}\n");
    const result = await run(actionlint, [...ACTIONLINT_FLAGS, broken]);
    assert.equal(result.code, 1);
    assert.match(result.output, /runs-on/);
    assert.match(result.output, /evnt/);
  });

  it("Azure Pipelines files pass the published azure-pipelines schema", async () => {
    const result = await run(checkJsonschema, [...SCHEMA_FLAGS, ...AZURE]);
    assert.equal(result.code, 0, result.output);
  });

  it("the schema rejects a broken pipeline (a misspelt key, a number where Azure wants a string)", async () => {
    const broken = path.join(scratch, "broken-azure.yml");
    writeFileSync(broken, "trigger: none\nstagess:\n  - stage: a\n");
    assert.equal((await run(checkJsonschema, [...SCHEMA_FLAGS, broken])).code, 1);
  });

  it("PR and deploy pipelines trigger on exactly the paths that change a stack (PROGRAM_PATHS)", () => {
    const expected = PROGRAM_PATHS.map((p) => p.replace(/\/$/, "")).sort();
    const read = (f: string) =>
      parseYaml(readFileSync(path.join(REPO_ROOT, f), "utf8")) as Record<string, unknown>;
    const github = (on: { paths?: string[] } | undefined) =>
      (on?.paths ?? []).map((p) => p.replace(/\/\*\*$/, ""));
    for (const f of GITHUB.filter((f) => !f.endsWith("drift.yml"))) {
      const on = read(f).on as { pull_request?: { paths?: string[] }; push?: { paths?: string[] } };
      assert.deepEqual(github(on.pull_request ?? on.push).sort(), expected, f);
    }
    for (const f of AZURE.filter((f) => !f.endsWith("drift.yml"))) {
      const doc = read(f) as {
        pr?: { paths?: { include?: string[] } };
        trigger?: { paths?: { include?: string[] } };
      };
      const paths = (doc.pr !== undefined && typeof doc.pr === "object" ? doc.pr : doc.trigger)?.paths
        ?.include;
      assert.deepEqual([...(paths ?? [])].sort(), expected, f);
    }
  });

  it("calls only keyfleet commands and flags the CLI accepts", () => {
    const parsers: Record<string, (argv: string[], env: NodeJS.ProcessEnv) => unknown> = {
      "pr-check": parsePrCheckArgs,
      drift: parseDriftArgs,
      rollout: parseRolloutArgs,
    };
    const calls = [...GITHUB, ...AZURE].flatMap((f) =>
      [...readFileSync(path.join(REPO_ROOT, f), "utf8").matchAll(/npx keyfleet ([a-z-]+)([^\n]*)/g)].map(
        (m) => ({
          file: f,
          command: m[1]!,
          argv: m[2]!
            // a workflow expression or a shell/pipeline variable stands for one value
            .replaceAll(/\$\{\{[^}]*\}\}|\$\([A-Za-z_.]+\)|\$\{?[A-Za-z_]+\}?/g, "value")
            .trim()
            .split(/\s+/)
            .filter(Boolean)
            .map((a) => a.replaceAll('"', "")),
        }),
      ),
    );
    assert.ok(calls.length >= 6);
    for (const call of calls) {
      assert.match(USAGE, new RegExp(`\\n  ${call.command} `), `${call.file}: keyfleet ${call.command}`);
      assert.ok(parsers[call.command], `${call.file}: keyfleet ${call.command} is not a pipeline command`);
      assert.doesNotThrow(
        () => parsers[call.command]!(call.argv, {}),
        `${call.file}: ${call.argv.join(" ")}`,
      );
    }
  });
});
