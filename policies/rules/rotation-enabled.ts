/** Rotation enabled wherever the Secrets Store CSI add-on (or its Arc extension) is used. */
import type { ResourceValidation } from "@pulumi/policy";
import { EngineKind, ResourceType } from "../lib/constants.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { observeEngine } from "../fleet/graph.ts";

const validateResource: ResourceValidation = (args, report) => {
  if (args.type !== ResourceType.managedCluster && args.type !== ResourceType.extension) {
    args.notApplicable("not an AKS cluster or Arc extension");
  }
  const engine = observeEngine({ type: args.type, name: args.name, urn: args.urn, props: args.props });
  if (!engine || (engine.engine !== EngineKind.aksAddon && engine.engine !== EngineKind.arcCsiExtension)) {
    return args.notApplicable("the CSI add-on is not used here");
  }
  if (engine.rotationEnabled !== true) {
    report(
      engine.engine === EngineKind.aksAddon
        ? 'the azureKeyvaultSecretsProvider add-on has enableSecretRotation off; set config.enableSecretRotation: "true"'
        : 'the Arc CSI provider extension has rotation off; set "secrets-store-csi-driver.enableSecretRotation": "true"',
    );
  }
};

export const rotationEnabled: KeyfleetPolicy = {
  name: "keyfleet-rotation-enabled",
  description:
    "Secret rotation is on wherever the Secrets Store CSI add-on is used (otherwise secrets never update).",
  remediationSteps:
    'Set addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation: "true" (with a rotationPollInterval).',
  enforcementLevel: "mandatory",
  validateResource,
};
