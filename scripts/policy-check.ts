/**
 * `npm run policy:check -- --stack <name> [--config <policy-config.json>] [--json] [--stacks-dir <dir>]
 * [--allow-missing-secrets]`: evaluates the CrossGuard pack's own rules (policies/pack.ts) against the stack's
 * resource graph as captured under `pulumi.runtime.setMocks` (stacks/synth/capture.ts; no Pulumi CLI, no Azure).
 * Exit 0: no mandatory violation; 1: mandatory violations; 2: bad arguments, config or capture failure (a secret
 * config key the stack needs but does not set is one, unless `--allow-missing-secrets`). `--config` takes the same
 * JSON as `pulumi preview --policy-pack-config`.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { evaluatePolicies, hasMandatory } from "../policies/harness/evaluate.ts";
import { formatViolations } from "../policies/harness/report.ts";
import { keyfleetPolicies, PACK_ENFORCEMENT_LEVEL } from "../policies/pack.ts";
import { captureStack } from "../stacks/synth/capture.ts";

const USAGE =
  "usage: npm run policy:check -- --stack <name> [--config <policy-config.json>] [--json] [--stacks-dir <dir>] [--allow-missing-secrets]\n";

async function main(argv: string[]): Promise<number> {
  let values: {
    stack?: string;
    config?: string;
    json?: boolean;
    help?: boolean;
    "stacks-dir"?: string;
    "allow-missing-secrets"?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        config: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean" },
        "stacks-dir": { type: "string" },
        "allow-missing-secrets": { type: "boolean" },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`policy:check: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.stack) {
    process.stderr.write(`policy:check: --stack is required\n${USAGE}`);
    return 2;
  }
  try {
    const config = values.config ? (JSON.parse(readFileSync(values.config, "utf8")) as unknown) : undefined;
    const resources = await captureStack(values.stack, {
      stacksDir: values["stacks-dir"],
      allowMissingSecrets: values["allow-missing-secrets"] ?? false,
    });
    const violations = await evaluatePolicies(resources, {
      policies: keyfleetPolicies,
      packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
      config,
    });
    if (values.json)
      process.stdout.write(`${JSON.stringify({ stack: values.stack, violations }, null, 2)}\n`);
    else process.stdout.write(formatViolations(values.stack, violations, resources.length));
    return hasMandatory(violations) ? 1 : 0;
  } catch (error) {
    const e = error as Error;
    process.stderr.write(
      `policy:check: ${e.message}${e.cause instanceof Error ? `\n  cause: ${e.cause.message}` : ""}\n`,
    );
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
