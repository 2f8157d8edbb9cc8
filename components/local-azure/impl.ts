/**
 * Entry of the local Azure providers' implementation, loaded by each provider method with a dynamic `import()` of
 * this file's absolute URL (./provider.ts explains why). It runs in the dynamic-provider process the engine starts
 * (`@pulumi/pulumi/cmd/dynamic-provider`) on the pinned Node, which runs this `.ts` file by type stripping.
 */
import type { Handler } from "./handler.ts";
import { federatedCredentialHandler, identityHandler, roleAssignmentHandler } from "./identity.ts";
import { secretHandler } from "./secret.ts";

/** Every kind's handler, keyed by the kind the provider was built for. */
export const handlers = {
  vaultSecret: secretHandler,
  userAssignedIdentity: identityHandler,
  roleAssignment: roleAssignmentHandler,
  federatedIdentityCredential: federatedCredentialHandler,
} as const;

/** The kinds of local Azure resources. */
export type LocalAzureKind = keyof typeof handlers;

/** The module's shape, as the provider methods see it after `import()`. */
export interface ImplModule {
  handlers: Record<LocalAzureKind, Handler<Record<string, unknown>, Record<string, unknown>>>;
}
