/**
 * The documentation cannot drift from the code: the reasons tables list exactly the reason constants, the
 * migration tables are the mapping constants, the admission-policy table names exactly the policies the component
 * installs, and every message quoted in docs/troubleshooting.md is what the
 * templates (and the admission policies and CRD) produce today.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import {
  admissionPolicies,
  secretSyncMetadataPolicy,
  secretWritesPolicy,
} from "../components/sync-runtime/admission.ts";
import { RUNTIME_NAME } from "../components/sync-runtime/workload.ts";
import {
  LEGACY_STATUS_NAMES,
  Message,
  Reason,
  UPSTREAM_MAIN_REASONS,
  UPSTREAM_V004_REASONS,
} from "./constants.ts";
import type { ReasonMapping } from "./constants.ts";
import { secretSyncCrd } from "./crds/secretsync.ts";
import { labelProblems, annotationProblems } from "./crds/rules.ts";
import { convertObject } from "./sync/convert.ts";
import type { SpcObject } from "./sync/types.ts";
import { identityMessage } from "./vault/identity-errors.ts";
import { ProviderMessage } from "./vault/messages.ts";

const root = path.resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

/** Rows of the first markdown table after `heading` (cells trimmed, header and rule dropped). */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  assert.notEqual(start, -1, `no "${heading}"`);
  const lines = markdown.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows.slice(2);
}

/** A quoted phrase as a pattern: `<…>` (a name) and `…` (elided text) match anything. */
function quotePattern(phrase: string): RegExp {
  return new RegExp(
    phrase
      .split(/<[^>]+>|…/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".+?"),
  );
}

const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

void describe("reasons tables", () => {
  for (const [file, heading] of [
    ["README.md", "## Status reasons"],
    ["docs/sync-runtime.md", "## Status reasons"],
  ] as const) {
    void it(`${file} lists exactly the reasons, in the constants' order`, () => {
      assert.deepEqual(
        tableAfter(read(file), heading).map((row) => names(row[0]!)[0]),
        Object.values(Reason),
      );
    });
  }
});

void it("docs/sync-runtime.md's admission-policy table names exactly the policies SyncRuntime installs", () => {
  const installed = admissionPolicies({
    name: RUNTIME_NAME,
    runtimeServiceAccount: { namespace: "n", name: RUNTIME_NAME },
    hashKeySecretName: "h",
  }).filter((m) => m.kind === "ValidatingAdmissionPolicy");
  assert.deepEqual(
    tableAfter(read("docs/sync-runtime.md"), "## Admission policies").map((row) => names(row[0]!)[0]),
    installed.map((p) => p.metadata.name),
  );
});

void describe("migration tables (docs/troubleshooting.md)", () => {
  const doc = read("docs/troubleshooting.md");
  void it("Microsoft's older status types", () => {
    const rows = tableAfter(doc, "### Microsoft's older status types");
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [names(r[0]!)[0], names(r[1]!)[0]])),
      LEGACY_STATUS_NAMES,
    );
  });
  const mapped = (rows: string[][]): Record<string, ReasonMapping> =>
    Object.fromEntries(
      rows.map((r) => [
        names(r[0]!)[0],
        { reasons: names(r[1]!) as Reason[], ...(r[2] ? { note: r[2] } : {}) },
      ]),
    );
  void it("upstream v0.0.4", () =>
    assert.deepEqual(mapped(tableAfter(doc, "### Upstream v0.0.4")), UPSTREAM_V004_REASONS));
  void it("upstream main's 2026 reasons", () =>
    assert.deepEqual(mapped(tableAfter(doc, "### Upstream main's 2026 reasons")), UPSTREAM_MAIN_REASONS));
});

void describe("every message docs/troubleshooting.md quotes is what keyfleet says today", () => {
  const doc = read("docs/troubleshooting.md")
    .replace(/\*\*/g, "")
    .replace(/\s*\n\s*/g, " ");
  const identity = { namespace: "ns", serviceAccountName: "sa", tenantId: "t-1", clientId: "c-1" };
  const subject = { vaultName: "kv", objectType: "secret" as const, objectName: "db", identity };
  const writes = JSON.stringify(
    secretWritesPolicy({
      name: "p",
      runtimeServiceAccount: { namespace: "n", name: "r" },
      hashKeySecretName: "h",
    }),
  );
  const metadata = JSON.stringify(
    secretSyncMetadataPolicy({
      name: "p",
      runtimeServiceAccount: { namespace: "n", name: "r" },
      hashKeySecretName: "h",
    }),
  );
  const crd = JSON.stringify(secretSyncCrd);
  // [phrase as the doc writes it (`<…>` = a name), where keyfleet produces it]
  const quoted: Array<[string, string]> = [
    [
      "no item could be fetched; no Secret was written (there is no earlier value to keep)",
      Message.allFailed(false),
    ],
    ["no item could be fetched; the Secret keeps its last good value", Message.allFailed(true)],
    ["partial sync is off and an item failed; ", Message.partialSyncOff(true)],
    [
      "the identity exchange was refused (AADSTS700016): client id <id> is not an application in tenant <tenant>",
      identityMessage({ aadsts: 700016 }, identity),
    ],
    [
      "the identity exchange was refused (AADSTS70021): client id <id> has no federated credential for subject system:serviceaccount:<ns>:<sa>",
      identityMessage({ aadsts: 70021 }, identity),
    ],
    [
      "the identity exchange was refused (AADSTS700212): no federated credential of client id <id> for subject <subject> accepts the audience api://AzureADTokenExchange",
      identityMessage({ aadsts: 700212 }, identity),
    ],
    [
      "the identity exchange was refused (AADSTS700211): no federated credential of client id <id> trusts this cluster's ServiceAccount issuer",
      identityMessage({ aadsts: 700211 }, identity),
    ],
    [
      "tenantID <tenant> of the SecretProviderClass is not the vault's tenant: its authentication challenge names tenant <other>",
      identityMessage({ challengeTenant: "t-2" }, identity),
    ],
    ["(AADSTS90002): tenant <tenant> was not found", identityMessage({ aadsts: 90002 }, identity)],
    [
      "ServiceAccount <ns>/<sa> does not exist (spec.serviceAccountName)",
      identityMessage({ tokenRequest: { status: 404 } }, identity),
    ],
    [
      "the runtime may not request a token for ServiceAccount <ns>/<sa> (HTTP 403)",
      identityMessage({ tokenRequest: { status: 403 } }, identity),
    ],
    [
      'access to secret "<name>" (…) in vault "<vault>" was denied for client id <id> (HTTP 403, code ForbiddenByRbac)',
      ProviderMessage.accessDenied(subject, 403, "ForbiddenByRbac"),
    ],
    [
      'secret "<name>" (…) in vault "<vault>" was not found (HTTP 404, code SecretNotFound)',
      ProviderMessage.notFound(subject, 404, "SecretNotFound"),
    ],
    ["Key Vault throttled the request for …; retry in <n> s", ProviderMessage.throttled(subject, 2000)],
    [
      "Key Vault did not answer for … (connection refused, ECONNREFUSED)",
      ProviderMessage.unavailable(subject, undefined, "ECONNREFUSED"),
    ],
    ["(host name not found (DNS), ENOTFOUND)", ProviderMessage.unavailable(subject, undefined, "ENOTFOUND")],
    ["(timed out, ETIMEDOUT)", ProviderMessage.unavailable(subject, undefined, "ETIMEDOUT")],
    [
      'the TLS certificate of vault "<vault>" is not trusted (<code>)',
      ProviderMessage.tlsUntrusted(subject, "SELF_SIGNED_CERT_IN_CHAIN"),
    ],
    [
      'requests to vault "<vault>" (<url>) are paused after repeated failures (circuit open); next probe in <n> s; last failure: <the failure that opened it>',
      ProviderMessage.circuitOpen(subject, 30_000, "Key Vault did not answer", "https://kv.vault.azure.net"),
    ],
    ['the request budget of vault "<vault>" is exhausted', ProviderMessage.budgetExhausted(subject, 1000)],
    [
      "the apiserver refused to write Secret <ns>/<name> (HTTP 403 Forbidden): ",
      Message.writeRefused("ns/app", 403, "Forbidden", "x"),
    ],
    ["type <type> is on the deny-list", writes.replace(/' \+ object\.type \+ '/g, "example.com/x")],
    ["it lacks the label", writes],
    ["its only ownerReference must be the SecretSync of the same name", writes],
    ["Secret <ns>/<name> exists without label secrets-store.sync.x-k8s.io", Message.foreignLabel("ns/app")],
    ["Secret <ns>/<name> is owned by <Kind>/<name>", Message.foreignOwner("ns/app", "ConfigMap/x (uid 1)")],
    [
      "spec.secretProviderClassName: SecretProviderClass <name> not found in namespace <ns>; a class of that name exists in namespace <other>",
      Message.spcNotFound("main", "a", ["b"]),
    ],
    [
      'spec.secretObject.labels["<key>"]: is not a valid label key',
      labelProblems({ "a b": "v" }, "spec.secretObject.labels")
        .map((p) => `${p.path}: ${p.message}`)
        .join(),
    ],
    [
      'annotations["<key>"]: is not a valid annotation key',
      annotationProblems({ "a b": "v" }, "spec.secretObject.annotations")
        .map((p) => `${p.path}: ${p.message}`)
        .join(),
    ],
    [
      "has an invalid value",
      labelProblems({ a: "not valid" }, "l")
        .map((p) => p.message)
        .join(),
    ],
    ["Label keys may have at most 317 characters", crd],
    ["and label values at most 63.", crd],
    ["Label keys must not start with secrets-store.sync.x-k8s.io", crd],
    [
      "spec.secretObject.labels: invalid or reserved (secrets-store.sync.x-k8s.io) keys or invalid values: ",
      metadata,
    ],
  ];
  for (const [phrase, produced] of quoted) {
    void it(phrase, () => {
      assert.ok(doc.includes(phrase), `docs/troubleshooting.md no longer quotes: ${phrase}`);
      assert.match(produced, quotePattern(phrase), `keyfleet no longer says: ${phrase}`);
    });
  }
});

void describe("every message the README's troubleshooting section quotes is what keyfleet says today", () => {
  const section = read("README.md").split("\n## Troubleshooting\n")[1]!.split("\n## ")[0]!;
  const text = section.replace(/\s*\n\s*/g, " ");
  const identity = { namespace: "ns", serviceAccountName: "sa", tenantId: "t-1", clientId: "c-1" };
  const subject = { vaultName: "kv", objectType: "secret" as const, objectName: "db", identity };
  const pkcs12 = convertObject(
    { objectName: "web", objectType: "secret", objectFormat: "pem", objectEncoding: "utf-8" } as SpcObject,
    { index: 0, version: "v1", id: "id", value: Buffer.from("!"), contentType: "application/x-pkcs12" },
    "web",
  );
  const quoted: Array<[string, string]> = [
    [
      "… has no federated credential for subject system:serviceaccount:<ns>:<sa>",
      identityMessage({ aadsts: 70021 }, identity),
    ],
    [
      "access to … was denied for client id … (HTTP 403, code ForbiddenByRbac)",
      ProviderMessage.accessDenied(subject, 403, "ForbiddenByRbac"),
    ],
    ["Key Vault throttled …", ProviderMessage.throttled(subject, 2000)],
    [
      "… paused after repeated failures (circuit open); next probe in …; last failure: …",
      ProviderMessage.circuitOpen(subject, 30_000, "Key Vault did not answer", "https://kv.vault.azure.net"),
    ],
    ["the PKCS#12 certificate could not be read: …", pkcs12.ok ? "" : pkcs12.message],
  ];
  void it("quotes no message this test does not check (a quote with … is a message)", () => {
    const inSection = [...text.matchAll(/`([^`]*…[^`]*)`/g)].map((m) => m[1]!);
    assert.deepEqual(inSection.sort(), quoted.map(([phrase]) => phrase).sort());
  });
  for (const [phrase, produced] of quoted) {
    void it(phrase, () => assert.match(produced, quotePattern(phrase), `keyfleet no longer says: ${phrase}`));
  }
});
