/** `npm run local:restart -- <process> [...]`: restarts processes of the running proving ground, in the order given. */
import { readLocalEnvironment } from "./env.ts";
import { Progress } from "./progress.ts";
import { GROUND_PROCESSES, groundPartNamed, PART_ALIASES, restartPart } from "./restart.ts";

const progress = new Progress("local:restart");
const names = process.argv.slice(2);
const parts = names.map(groundPartNamed);
const unknown = names.filter((_, i) => parts[i] === undefined);
if (names.length === 0 || unknown.length > 0) {
  const aliases = Object.entries(PART_ALIASES).map(([alias, part]) => `${alias} = ${part}`);
  progress.log(
    `${unknown.length > 0 ? `unknown: ${unknown.join(", ")}; ` : ""}usage: npm run local:restart -- <${GROUND_PROCESSES.join("|")}> ... (also ${aliases.join(", ")})`,
  );
  process.exit(2);
}
try {
  let env = readLocalEnvironment();
  for (const name of parts.filter((p) => p !== undefined)) {
    env = await progress.step(`restarting ${name}`, () => restartPart(env, name));
  }
} catch (error) {
  progress.log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
