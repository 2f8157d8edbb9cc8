/**
 * The stand-in keeps its state across restarts like Azure does: objects with every version (live and
 * soft-deleted), vaults added at run time, identities with federated credentials, role assignments, the
 * token-signing key (a token minted before the restart still works), the management key and the ports; a torn
 * journal line is ignored (main.test.ts kills the process for real); the explicit reset clears everything. Also the
 * two Entra faults of the management API: a signing-key rollover and a forgotten identity.
 */
import assert from "node:assert/strict";
import https from "node:https";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { AzureLocalAdminClient } from "./admin-client.ts";
import type { AzureLocalConfigInput } from "./config.ts";
import { startAzureLocal, type AzureLocal } from "./main.ts";
import { applyRecord, clearAzureLocalState, replay } from "./persistence.ts";
import type { PersistedState } from "./persistence.ts";
import { adminCredential, localVaultClients } from "./sdk.ts";
import { createTestPki, type TestPki } from "./test-support.ts";

function get(ca: string, url: string, token: string): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const code = text ? (JSON.parse(text) as { error?: { code?: string } }).error?.code : undefined;
        resolve({ status: res.statusCode ?? 0, ...(code ? { code } : {}) });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

function tokenRequest(
  ca: string,
  url: string,
  clientId: string,
): Promise<{ status: number; codes?: number[] }> {
  const body = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: clientId,
    scope: "https://vault.azure.net/.default",
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: "not-checked-before-the-client-is-known",
  }).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: "POST", ca, headers: { "content-type": "application/x-www-form-urlencoded" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const json = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { error_codes?: number[] };
          resolve({ status: res.statusCode ?? 0, ...(json.error_codes ? { codes: json.error_codes } : {}) });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

void describe("persisted state (pure replay)", () => {
  void it("replays a journal over a snapshot; a torn last line ends it", () => {
    const state: PersistedState = { format: 1, vaults: [], registry: { identities: [], assignments: [] } };
    const live = { name: "a", managed: false, versions: [] };
    applyRecord(state, { t: "object", vault: "kv", collection: "secrets", name: "a", entry: { live } });
    const journal = [
      JSON.stringify({ t: "object", vault: "kv", collection: "secrets", name: "b", entry: { live } }),
      JSON.stringify({ t: "object", vault: "kv", collection: "secrets", name: "a", entry: {} }),
      '{"t":"object","vault":"kv","collection":"secrets","name":"c","entry":{"li',
    ].join("\n");
    const replayed = replay(JSON.stringify(state), journal);
    assert.deepEqual(Object.keys(replayed.vaults[0]!.objects.secrets), ["b"], "a purged, b added, c torn");
  });
});

void describe("the stand-in keeps its state across restarts", () => {
  let pki: TestPki;
  let config: AzureLocalConfigInput;
  let local: AzureLocal | undefined;
  const start = async () => {
    local = await startAzureLocal(config);
    return local;
  };
  before(() => {
    pki = createTestPki();
    config = {
      host: "127.0.0.1",
      tlsCertFile: pki.certFile,
      tlsKeyFile: pki.keyFile,
      caFile: pki.caFile,
      stateDir: path.join(pki.dir, "state"),
      tenantId: "00000000-0000-4000-8000-0000000000bb",
      vaultNames: ["kv-keep"],
      kubernetes: {
        apiServerUrl: "https://127.0.0.1:1",
        caFile: pki.caFile,
        clientCertFile: pki.certFile,
        clientKeyFile: pki.keyFile,
        serviceAccountIssuer: "https://127.0.0.1:1",
      },
    };
  });
  after(async () => {
    await local?.stop();
    pki.remove();
  });

  void it("keeps objects, versions, deletions, vaults, identities, credentials, roles, keys and ports", async () => {
    const first = await start();
    const admin = AzureLocalAdminClient.fromLocalIdentity(first.identity);
    const clients = localVaultClients(first.vault!.url, adminCredential(first.identity), pki.caPem, {
      retryOptions: { maxRetries: 0 },
    });
    const v1 = await clients.secrets.setSecret("db", "value-one");
    await clients.secrets.setSecret("db", "value-two");
    await clients.secrets.setSecret("gone", "value-three");
    await (await clients.secrets.beginDeleteSecret("gone")).pollUntilDone();
    await clients.keys.createRsaKey("signer");
    await clients.certificates.beginCreateCertificate("tls", { issuerName: "Self", subject: "CN=keep" });
    const added = await admin.addVault("kv-added");
    const identity = await admin.createIdentity({ name: "app" });
    await admin.federateServiceAccount(identity.clientId, "https://issuer.example", "ns", "sa");
    await admin.assignRole({
      principalId: identity.clientId,
      role: "Key Vault Secrets User",
      vaultName: "kv-keep",
    });
    const token = (await admin.mintToken()).accessToken;
    const urls = { vault: first.vault!.url, identity: first.identity.authorityHost, added: added.url };
    admin.close();
    await first.stop();

    const second = await start();
    assert.deepEqual(
      { vault: second.vault!.url, identity: second.identity.authorityHost, added: second.vaults()[1]?.url },
      urls,
      "the same ports",
    );
    assert.equal(
      (await get(pki.caPem, `${urls.vault}/secrets/db/${v1.properties.version}?api-version=7.6`, token))
        .status,
      200,
      "a token minted before the restart still works (the signing key was kept), and old versions are there",
    );
    const again = localVaultClients(second.vault!.url, adminCredential(second.identity), pki.caPem, {
      retryOptions: { maxRetries: 0 },
    });
    assert.equal((await again.secrets.getSecret("db")).value, "value-two");
    assert.equal((await again.secrets.getDeletedSecret("gone")).name, "gone");
    assert.equal((await again.keys.getKey("signer")).keyType, "RSA");
    assert.equal((await again.certificates.getCertificate("tls")).name, "tls");
    const admin2 = AzureLocalAdminClient.fromLocalIdentity(second.identity);
    const kept = await admin2.getIdentity(identity.clientId);
    assert.equal(kept.federatedCredentials[0]?.subject, "system:serviceaccount:ns:sa");
    assert.equal((await admin2.listRoleAssignments()).length, 1);
    admin2.close();
  });

  void it("a rolled-over signing key refuses tokens signed with the old one; a forgotten identity gets no tokens", async () => {
    const running = local!;
    const admin = AzureLocalAdminClient.fromLocalIdentity(running.identity);
    const before = (await admin.mintToken()).accessToken;
    const url = `${running.vault!.url}/secrets/db?api-version=7.6`;
    assert.equal((await get(pki.caPem, url, before)).status, 200);
    await admin.rotateSigningKey();
    assert.deepEqual(await get(pki.caPem, url, before), { status: 401, code: "Unauthorized" });
    assert.equal((await get(pki.caPem, url, (await admin.mintToken()).accessToken)).status, 200);

    const [app] = (await admin.listIdentities()).filter((i) => i.name === "app");
    const tokenUrl = `${running.identity.authorityHost}/${running.identity.tenantId}/oauth2/v2.0/token`;
    assert.notDeepEqual((await tokenRequest(pki.caPem, tokenUrl, app!.clientId)).codes, [700016]);
    await admin.deleteIdentity(app!.clientId);
    assert.deepEqual(await tokenRequest(pki.caPem, tokenUrl, app!.clientId), {
      status: 400,
      codes: [700016],
    });
    admin.close();
  });

  void it("the explicit reset clears everything", async () => {
    await local!.stop();
    clearAzureLocalState(config.stateDir);
    const fresh = await start();
    const empty = localVaultClients(fresh.vault!.url, adminCredential(fresh.identity), pki.caPem, {
      retryOptions: { maxRetries: 0 },
    });
    await assert.rejects(empty.secrets.getSecret("db"), /SecretNotFound|not found/i);
    assert.equal(fresh.vaults().length, 1, "the vault added at run time is gone too");
  });
});
