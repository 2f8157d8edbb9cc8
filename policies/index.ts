/**
 * CrossGuard entry point: `pulumi preview --policy-pack policies`. It only registers the rules from pack.ts;
 * constructing the PolicyPack starts the analyzer's gRPC server, so nothing else imports this file.
 */
import { PolicyPack } from "@pulumi/policy";
import { keyfleetPolicies, PACK_ENFORCEMENT_LEVEL, PACK_NAME } from "./pack.ts";

new PolicyPack(PACK_NAME, {
  policies: [...keyfleetPolicies],
  enforcementLevel: PACK_ENFORCEMENT_LEVEL,
  description: "keyfleet: Key Vault throttling, rotation and least-privilege checks for secret-sync fleets.",
  provider: "azure",
  tags: ["keyvault", "kubernetes", "secrets"],
});
