/**
 * `npm run local:pulumi -- <pulumi args>`: runs the proving ground's Pulumi engine from the repository root with the
 * ground's environment (file backend, passphrase, PATH with the language host and the pinned Node), e.g.
 * `npm run local:pulumi -- up --stack local --yes`. The `local` stack is created in the ground's backend on first use.
 */
import { spawnSync } from "node:child_process";
import { readLocalEnvironment } from "./env.ts";
import { REPO_ROOT } from "./paths.ts";

const env = readLocalEnvironment();
if (!env.pulumi) {
  process.stderr.write(
    "this proving ground runs without the Pulumi engine; start it with `npm run local:up` (without KEYFLEET_LOCAL_PULUMI=0)\n",
  );
  process.exit(2);
}
const run = (args: string[], stdio: "inherit" | "ignore") =>
  spawnSync(env.pulumi!.cli, args, { cwd: REPO_ROOT, env: { ...process.env, ...env.pulumi!.env }, stdio });
// `stack select --create` is idempotent: the backend lives as long as the ground.
run(["stack", "select", "--create", "local", "--non-interactive"], "ignore");
const result = run(process.argv.slice(2), "inherit");
process.exitCode = result.status ?? 1;
