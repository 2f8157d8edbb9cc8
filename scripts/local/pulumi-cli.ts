/**
 * `npm run local:pulumi -- <pulumi args>`: runs the proving ground's Pulumi engine from the repository root with the
 * ground's environment (file backend, passphrase, PATH with the language host and the pinned Node), e.g.
 * `npm run local:pulumi -- up --stack local --yes`. The `local` stack is created in the ground's backend on first use.
 */
import { readLocalEnvironment } from "./env.ts";
import { runPulumi, selectLocalStack } from "./pulumi-run.ts";

try {
  const env = readLocalEnvironment();
  await selectLocalStack(env);
  process.exitCode = (await runPulumi(env, process.argv.slice(2), { inherit: true })).code;
} catch (error) {
  process.stderr.write(`local:pulumi: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
