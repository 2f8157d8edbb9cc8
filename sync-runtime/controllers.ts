/**
 * The controllers `keyfleet run` starts next to the SecretSync controller while it leads: AKVSync expansion and
 * workload restarts. Both share the runtime's Kubernetes config, logger and metrics registry, and the restart
 * fingerprints use the runtime's hash key so replicas and restarts never restart a workload twice for one change.
 */
import { AkvSyncController } from "./akvsync/controller.ts";
import { loadOrCreateHashKey } from "./hash-key.ts";
import { RestartController } from "./restarts/controller.ts";
import type { Controller, RuntimeContext } from "./runtime.ts";

/** AKVSync + restarts, built from the runtime's shared collaborators. */
export function defaultExtraControllers(context: RuntimeContext): Controller[] {
  return [
    new AkvSyncController({
      kubeConfig: context.kubeConfig,
      kube: context.kube,
      informers: context.informers,
      logger: context.logger,
      namespaces: context.config.namespaces,
      clock: context.clock,
    }),
    new RestartController({
      kubeConfig: context.kubeConfig,
      kube: context.kube,
      informers: context.informers,
      registry: context.metrics.registry,
      logger: context.logger,
      namespaces: context.config.namespaces,
      fingerprintKey: () => loadOrCreateHashKey(context.kube, context.config.runtimeNamespace),
      clock: context.clock,
    }),
  ];
}
