/** Workload identity only: no pod identity, no node identity, no client secrets in SecretProviderClasses. */
import type { ResourceValidation } from "@pulumi/policy";
import { ResourceType } from "../lib/constants.ts";
import { booleanSetting, objectAt, stringAt } from "../lib/props.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";

/** Parameter names that would carry a credential (compared case-insensitively, ignoring - and _). */
const CREDENTIAL_KEYS = new Set([
  "clientsecret",
  "secret",
  "password",
  "certificate",
  "clientcertificate",
  "token",
]);

function normalise(key: string): string {
  return key.toLowerCase().replaceAll(/[-_]/g, "");
}

/** Messages for one SecretProviderClass's spec.parameters (pure, exported for tests). */
export function spcIdentityProblems(parameters: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (booleanSetting(parameters.usePodIdentity) === true) {
    problems.push(
      'usePodIdentity is "true" (AAD pod identity is retired); use workload identity: set clientID',
    );
  }
  if (booleanSetting(parameters.useVMManagedIdentity) === true) {
    problems.push(
      'useVMManagedIdentity is "true" (every pod on the node shares it); use workload identity: set clientID',
    );
  }
  for (const key of Object.keys(parameters)) {
    if (CREDENTIAL_KEYS.has(normalise(key))) {
      problems.push(`parameter "${key}" carries a credential; no client secrets in a SecretProviderClass`);
    }
  }
  if (!stringAt(parameters, "clientID")) {
    problems.push(
      "clientID is missing: workload identity needs the client id of the identity to exchange the token for",
    );
  }
  return problems;
}

const validateResource: ResourceValidation = (args, report) => {
  if (args.type === ResourceType.secretProviderClass) {
    if (stringAt(args.props, "spec.provider") !== "azure")
      args.notApplicable("not an azure SecretProviderClass");
    for (const problem of spcIdentityProblems(objectAt(args.props, "spec.parameters") ?? {})) report(problem);
    return;
  }
  if (args.type === ResourceType.akvSync) {
    if (!stringAt(args.props, "spec.clientID"))
      report("spec.clientID is missing: AKVSync needs a workload identity");
    return;
  }
  args.notApplicable("not a SecretProviderClass or AKVSync");
};

export const workloadIdentityOnly: KeyfleetPolicy = {
  name: "keyfleet-workload-identity-only",
  description:
    "SecretProviderClasses authenticate with workload identity only: no pod identity, no client secrets.",
  remediationSteps:
    'Remove usePodIdentity/useVMManagedIdentity (or set "false") and any secret parameter; set clientID (and ' +
    "tenantID) of a user-assigned identity federated with the namespace's ServiceAccount.",
  enforcementLevel: "mandatory",
  validateResource,
};
