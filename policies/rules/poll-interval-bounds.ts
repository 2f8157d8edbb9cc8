/** Poll interval within bounds, in each engine's own unit, and poll + jitter within the maximum staleness. */
import type { PolicyConfigSchema, ResourceValidation } from "@pulumi/policy";
import { ResourceType, RuntimeEnv } from "../lib/constants.ts";
import { configWithDefaults } from "../lib/config.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { observeEngine, type EngineObservation } from "../fleet/graph.ts";

/** Config of {@link pollIntervalBounds}. */
export interface PollBoundsConfig {
  /** Shortest poll interval allowed, seconds. Default 60. */
  minPollIntervalSeconds: number;
  /** Longest poll interval allowed, seconds. Default 86400 (1 day). */
  maxPollIntervalSeconds: number;
  /** Longest time a rotated secret may take to arrive (poll + jitter), seconds. Default 7200 (2 h). */
  maxStalenessSeconds: number;
}

const configSchema: PolicyConfigSchema = {
  properties: {
    minPollIntervalSeconds: {
      type: "integer",
      default: 60,
      minimum: 1,
      description: "Shortest poll interval allowed (seconds); shorter polls multiply vault reads.",
    },
    maxPollIntervalSeconds: {
      type: "integer",
      default: 86400,
      minimum: 1,
      description: "Longest poll interval allowed (seconds).",
    },
    maxStalenessSeconds: {
      type: "integer",
      default: 7200,
      minimum: 1,
      description: "Worst-case delay before a rotated secret reaches the cluster: poll + jitter (seconds).",
    },
  },
};

const TYPES = new Set<string>([ResourceType.managedCluster, ResourceType.extension, ResourceType.deployment]);

const SETTING_NAMES: Readonly<Record<string, string>> = {
  "aks-addon": "addonProfiles.azureKeyvaultSecretsProvider.config.rotationPollInterval",
  "arc-extension": "configurationSettings.rotationPollIntervalInSeconds",
  "arc-csi-extension": "configurationSettings.secrets-store-csi-driver.rotationPollInterval",
  bundled: `env ${RuntimeEnv.rotationPollIntervalSeconds}`,
};

/** Messages for one engine's settings (pure, exported for tests). */
export function pollProblems(engine: EngineObservation, config: PollBoundsConfig): string[] {
  if (engine.missing) return [`${engine.engine}: ${engine.missing}`];
  const poll = engine.pollSeconds!;
  const jitter = engine.jitterSeconds ?? 0;
  const setting = SETTING_NAMES[engine.engine];
  const problems: string[] = [];
  if (poll < config.minPollIntervalSeconds || poll > config.maxPollIntervalSeconds) {
    problems.push(
      `${engine.engine} ${setting} is ${poll} s; allowed ${config.minPollIntervalSeconds}–${config.maxPollIntervalSeconds} s`,
    );
  }
  if (poll + jitter > config.maxStalenessSeconds) {
    problems.push(
      `${engine.engine} poll ${poll} s + jitter ${jitter} s = ${poll + jitter} s worst-case staleness; ` +
        `allowed at most ${config.maxStalenessSeconds} s`,
    );
  }
  return problems;
}

const validateResource: ResourceValidation = (args, report) => {
  if (!TYPES.has(args.type)) args.notApplicable("not a sync engine resource");
  const engine = observeEngine({ type: args.type, name: args.name, urn: args.urn, props: args.props });
  if (!engine) return args.notApplicable("no secret-sync engine in this resource");
  const config = configWithDefaults<PollBoundsConfig>(configSchema, args.getConfig());
  for (const problem of pollProblems(engine, config)) report(problem);
};

export const pollIntervalBounds: KeyfleetPolicy = {
  name: "keyfleet-poll-interval-bounds",
  description:
    "Engine poll intervals stay within bounds and poll + jitter stays within the maximum staleness.",
  remediationSteps:
    "Set the poll interval in stack config (engines.<engine>.rotationPollInterval): the AKS add-on takes a " +
    'duration string such as "2m", the Arc extension whole seconds, the bundled runtime seconds. Keep poll + ' +
    "jitter at or below maxStalenessSeconds.",
  enforcementLevel: "mandatory",
  configSchema,
  validateResource,
};
