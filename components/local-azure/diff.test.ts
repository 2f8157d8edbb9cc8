import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  diffByRules,
  diffSecret,
  FEDERATED_CREDENTIAL_RULES,
  IDENTITY_RULES,
  ROLE_ASSIGNMENT_RULES,
  sameValue,
  UNKNOWN_INPUT,
  type DiffRules,
} from "./diff.ts";

const G = "/ground/env.json";

describe("sameValue", () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ["equal strings", "a", "a", true],
    ["different strings", "a", "b", false],
    ["key order does not matter", { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ["undefined members are absent", { a: 1, b: undefined }, { a: 1 }, true],
    ["missing equals undefined", undefined, undefined, true],
    ["array order matters", ["x", "y"], ["y", "x"], false],
    ["unknown never equals", "a", UNKNOWN_INPUT, false],
    ["unknown nested never equals", ["a"], [UNKNOWN_INPUT], false],
  ];
  for (const [name, a, b, expected] of cases) it(name, () => assert.equal(sameValue(a, b), expected));
});

describe("diffByRules: what Azure replaces and what it updates in place", () => {
  const fic = {
    ground: G,
    clientId: "c1",
    resourceName: "local-wi",
    federatedIdentityCredentialResourceName: "demo-demo-sync",
    issuer: "https://127.0.0.1:6443",
    subject: "system:serviceaccount:demo:demo-sync",
    audiences: ["api://AzureADTokenExchange"],
  };
  const role = {
    ground: G,
    principalId: "p1",
    principalType: "ServicePrincipal",
    roleDefinitionId: "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/4633458b",
    scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/local",
  };
  const cases: Array<[string, DiffRules, Record<string, unknown>, Record<string, unknown>, object]> = [
    [
      "identity unchanged",
      IDENTITY_RULES,
      { ground: G, resourceName: "wi", clientId: "c" },
      { ground: G, resourceName: "wi" },
      { changes: false },
    ],
    [
      "identity renamed → replace",
      IDENTITY_RULES,
      { ground: G, resourceName: "wi" },
      { ground: G, resourceName: "wi2" },
      { changes: true, replaces: ["resourceName"] },
    ],
    [
      "identity on another ground → update",
      IDENTITY_RULES,
      { ground: G, resourceName: "wi" },
      { ground: "/other", resourceName: "wi" },
      { changes: true },
    ],
    [
      "credential subject → update in place",
      FEDERATED_CREDENTIAL_RULES,
      fic,
      { ...fic, subject: "system:serviceaccount:demo:other" },
      { changes: true },
    ],
    [
      "credential issuer → update in place",
      FEDERATED_CREDENTIAL_RULES,
      fic,
      { ...fic, issuer: "https://127.0.0.1:7443" },
      { changes: true },
    ],
    [
      "credential audiences → update in place",
      FEDERATED_CREDENTIAL_RULES,
      fic,
      { ...fic, audiences: ["aud"] },
      { changes: true },
    ],
    [
      "credential renamed → replace",
      FEDERATED_CREDENTIAL_RULES,
      fic,
      { ...fic, federatedIdentityCredentialResourceName: "x" },
      { changes: true, replaces: ["federatedIdentityCredentialResourceName"] },
    ],
    [
      "credential on a new identity (unknown in preview) → replace",
      FEDERATED_CREDENTIAL_RULES,
      fic,
      { ...fic, clientId: UNKNOWN_INPUT },
      { changes: true, replaces: ["clientId"] },
    ],
    ["credential unchanged", FEDERATED_CREDENTIAL_RULES, fic, { ...fic }, { changes: false }],
    ["role unchanged", ROLE_ASSIGNMENT_RULES, role, { ...role }, { changes: false }],
    [
      "role definition → replace",
      ROLE_ASSIGNMENT_RULES,
      role,
      { ...role, roleDefinitionId: "x/21090545" },
      { changes: true, replaces: ["roleDefinitionId"] },
    ],
    [
      "role scope → replace",
      ROLE_ASSIGNMENT_RULES,
      role,
      { ...role, scope: `${role.scope}/secrets/db` },
      { changes: true, replaces: ["scope"] },
    ],
    [
      "role principal (unknown) → replace",
      ROLE_ASSIGNMENT_RULES,
      role,
      { ...role, principalId: UNKNOWN_INPUT },
      { changes: true, replaces: ["principalId"] },
    ],
  ];
  for (const [name, rules, olds, news, expected] of cases) {
    it(name, () => assert.deepEqual(diffByRules(olds, news, rules), expected));
  }
});

describe("diffSecret: value is write-only, as in ARM", () => {
  const olds = {
    ground: G,
    vaultName: "local",
    secretName: "db",
    properties: { value: "one", contentType: "text/plain" },
    version: "v1",
    enabled: true,
  };
  const news = {
    ground: G,
    vaultName: "local",
    secretName: "db",
    properties: { value: "one", contentType: "text/plain" },
  };
  const generatedOlds = { ...olds, properties: { value: "generated" }, generateValueLength: 32 };
  const generatedNews = {
    ground: G,
    vaultName: "local",
    secretName: "db",
    properties: {},
    generateValueLength: 32,
  };
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, object]> = [
    [
      "unchanged (a newer version in the vault is not drift)",
      { ...olds, version: "v7" },
      news,
      { changes: false },
    ],
    [
      "declared value changed → new version",
      olds,
      { ...news, properties: { value: "two", contentType: "text/plain" } },
      { changes: true },
    ],
    [
      "content type changed → new version",
      olds,
      { ...news, properties: { value: "one" } },
      { changes: true },
    ],
    ["latest version disabled by hand → new version", { ...olds, enabled: false }, news, { changes: true }],
    ["renamed → replace", olds, { ...news, secretName: "db2" }, { changes: true, replaces: ["secretName"] }],
    [
      "other vault → replace",
      olds,
      { ...news, vaultName: "kv2" },
      { changes: true, replaces: ["vaultName"] },
    ],
    ["generated value is never compared", generatedOlds, generatedNews, { changes: false }],
    ["generated → declared value", generatedOlds, { ...news, properties: { value: "x" } }, { changes: true }],
    [
      "declared → generated value",
      olds,
      { ...generatedNews, properties: { contentType: "text/plain" } },
      { changes: true },
    ],
  ];
  for (const [name, o, n, expected] of cases) it(name, () => assert.deepEqual(diffSecret(o, n), expected));
});
