/** `npm run local:down`: stops the proving ground described by the env file and removes what it left on the host. */
import { stopProvingGround } from "./ground.ts";
import { Progress } from "./progress.ts";

const progress = new Progress("local:down");
const stopped = await stopProvingGround(undefined, undefined, progress);
progress.log(stopped > 0 ? `stopped ${stopped} processes` : "no proving ground was running");
