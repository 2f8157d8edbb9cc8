/**
 * `npm run synth -- --stack <name> [--json] [--bundle auto|stub|build] [--stacks-dir <dir>] [--allow-missing-secrets]`:
 * runs the Pulumi program for a stack under mocks (no CLI, no Azure, no cluster) and prints the resource graph —
 * type, name, parent and key properties, secrets redacted. `--json` prints `{ resources, outputs, missingSecrets }`
 * as captured (stacks/synth/capture.ts). A secret config key the stack needs but does not set fails (exit 1) with
 * the `pulumi config set --secret` command per key, unless `--allow-missing-secrets` (then listed on stderr).
 */
import { parseArgs } from "node:util";
import { FleetConfigError } from "../stacks/config/load.ts";
import { MissingSecretConfigError } from "../stacks/config/secrets.ts";
import { captureStackDetailed } from "../stacks/synth/capture.ts";
import { countByType, renderTree } from "../stacks/synth/render.ts";
import { counted } from "../common/text.ts";

const USAGE =
  "usage: npm run synth -- --stack <dev|prod|local|...> [--json] [--bundle auto|stub|build] [--stacks-dir <dir>] [--allow-missing-secrets]";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string" },
        json: { type: "boolean", default: false },
        bundle: { type: "string", default: "auto" },
        "stacks-dir": { type: "string" },
        "allow-missing-secrets": { type: "boolean", default: false },
        help: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.stack) {
    process.stderr.write(`--stack is required\n${USAGE}\n`);
    return 2;
  }
  const bundle = values.bundle;
  if (bundle !== "auto" && bundle !== "stub" && bundle !== "build") {
    process.stderr.write(`--bundle: got "${bundle}"; allowed: auto | stub | build\n`);
    return 2;
  }
  const started = performance.now();
  try {
    const result = await captureStackDetailed(values.stack, {
      runtimeBundle: bundle,
      stacksDir: values["stacks-dir"],
      allowMissingSecrets: values["allow-missing-secrets"],
    });
    if (result.missingSecrets.length > 0)
      process.stderr.write(
        `warning: ${counted(result.missingSecrets.length, "secret config key")} not set, judged without their values: ${result.missingSecrets.join(", ")}\n`,
      );
    const ms = Math.round(performance.now() - started);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(`${renderTree(result.resources)}\n\n`);
      for (const [type, n] of countByType(result.resources))
        process.stdout.write(`${String(n).padStart(6)}  ${type}\n`);
      process.stdout.write(
        `\nstack ${values.stack}: ${result.resources.length} resources, synthesized in ${ms} ms\n`,
      );
    }
    return 0;
  } catch (e) {
    const message =
      e instanceof FleetConfigError || e instanceof MissingSecretConfigError
        ? e.message
        : `synth of stack "${values.stack}" failed: ${(e as Error).message}`;
    process.stderr.write(`${message}\n`);
    return 1;
  }
}

process.exitCode = await main();
