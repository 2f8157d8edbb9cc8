/** `npm run local:down`: stops the proving ground described by the env file. */
import { stopProvingGround } from "./ground.ts";
import { Progress } from "./progress.ts";

const progress = new Progress("local:down");
const stopped = await stopProvingGround();
progress.log(stopped > 0 ? `stopped ${stopped} processes` : "no proving ground was running");
