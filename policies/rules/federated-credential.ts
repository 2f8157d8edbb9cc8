/** Federated identity credentials: the token-exchange audience and a subject naming one ServiceAccount. */
import { ResourceType, TOKEN_EXCHANGE_AUDIENCE } from "../lib/constants.ts";
import { arrayAt, stringAt } from "../lib/props.ts";
import { forTypes, type KeyfleetPolicy } from "../lib/rule.ts";

/** `system:serviceaccount:<namespace>:<name>`, both DNS names, no wildcards. */
const SUBJECT = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

/** Messages for one federated credential (pure, exported for tests). */
export function federatedCredentialProblems(props: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const audiences = arrayAt(props, "audiences") ?? [];
  if (audiences.length !== 1 || audiences[0] !== TOKEN_EXCHANGE_AUDIENCE) {
    problems.push(
      `audiences are ${JSON.stringify(audiences)}; allowed: exactly ["${TOKEN_EXCHANGE_AUDIENCE}"]`,
    );
  }
  const subject = stringAt(props, "subject") ?? "";
  if (!SUBJECT.test(subject)) {
    problems.push(
      `subject "${subject}" does not name one ServiceAccount; allowed: system:serviceaccount:<namespace>:<serviceaccount>`,
    );
  }
  const issuer = stringAt(props, "issuer") ?? "";
  if (!issuer.startsWith("https://")) {
    problems.push(`issuer "${issuer}" is not the cluster's https:// OIDC issuer URL`);
  }
  return problems;
}

export const federatedCredential: KeyfleetPolicy = {
  name: "keyfleet-federated-credential",
  description: `Federated credentials use audience ${TOKEN_EXCHANGE_AUDIENCE} and trust exactly one ServiceAccount.`,
  remediationSteps:
    `Set audiences: ["${TOKEN_EXCHANGE_AUDIENCE}"], subject: "system:serviceaccount:<namespace>:<serviceaccount>" ` +
    "and issuer: the cluster's OIDC issuer URL.",
  enforcementLevel: "mandatory",
  validateResource: forTypes(
    [ResourceType.federatedCredential, ResourceType.localFederatedCredential],
    (props, _args, report) => {
      for (const problem of federatedCredentialProblems(props)) report(problem);
    },
  ),
};
