/** Restart metrics, registered on the runtime's prom-client registry (never a secret value in a label). */
import { Counter } from "prom-client";
import type { Registry } from "prom-client";
import { RestartMetric } from "./constants.ts";

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** Typed recorders for the restart controller. */
export class RestartMetrics {
  /** Restarts made, by workload kind and trigger reason (search | auto | named | secretproviderclass). */
  readonly restarts: Counter<"kind" | "reason">;
  /** Restarts not made, by reason (already_restarted | rate_limited). */
  readonly skipped: Counter<"kind" | "reason">;
  /** Restart patches that failed after retries. */
  readonly errors: Counter<"kind">;
  /** Value changes observed on watched sources (secret | spc). */
  readonly changes: Counter<"source">;

  constructor(registry: Registry) {
    this.restarts = counter(
      registry,
      RestartMetric.restarts,
      "Workload rolling restarts triggered by changed Secrets",
      ["kind", "reason"],
    );
    this.skipped = counter(
      registry,
      RestartMetric.skipped,
      "Workload restarts not made (already restarted for the hash, or rate limited)",
      ["kind", "reason"],
    );
    this.errors = counter(
      registry,
      RestartMetric.errors,
      "Workload restart patches that failed after retries",
      ["kind"],
    );
    this.changes = counter(
      registry,
      RestartMetric.changes,
      "Value changes observed on Secrets and SecretProviderClass mounts",
      ["source"],
    );
  }
}
