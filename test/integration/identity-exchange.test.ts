/**
 * Proves the workload-identity token exchange of the local identity endpoint against the real kube-apiserver:
 * a ServiceAccount token of namespace A (TokenRequest, audience api://AzureADTokenExchange) obtains a vault token
 * for A's identity through @azure/identity's ClientAssertionCredential and reads a secret with it; the same token
 * is refused for namespace B's identity (AADSTS70021), and wrong-audience, expired and foreign-signed assertions
 * are refused. Needs the proving ground (KEYFLEET_LOCAL_ENV).
 */
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { readLocalEnvironment, type LocalEnvironment } from "../../scripts/local/env.ts";
import { TOKEN_EXCHANGE_AUDIENCE } from "../../common/vocabulary.ts";
import { AzureLocalAdminClient } from "../azure-local/admin-client.ts";
import { decodeJwt, signJwt } from "../azure-local/jwt.ts";
import { readFileSync } from "node:fs";
import { adminCredential, localVaultClients, workloadIdentityCredential } from "../azure-local/sdk.ts";

if (!process.env.KEYFLEET_LOCAL_ENV) {
  throw new Error(
    "identity-exchange tests need the proving ground: set KEYFLEET_LOCAL_ENV (npm test does) or run `npm run local:up` " +
      "and KEYFLEET_LOCAL_ENV=.keyfleet/local/env.json node --test test/integration/identity-exchange.test.ts",
  );
}
const env: LocalEnvironment = readLocalEnvironment();
const VAULT_SCOPE = "https://vault.azure.net/.default";

describe("token exchange of ServiceAccount tokens (real kube-apiserver)", () => {
  const suffix = randomBytes(3).toString("hex");
  const nsA = `kf-idx-a-${suffix}`;
  const nsB = `kf-idx-b-${suffix}`;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.kubernetes.adminKubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const admin = AzureLocalAdminClient.fromLocalIdentity(env.identity);
  const caPem = readFileSync(env.vault.caFile, "utf8");
  let clientA = "";
  let clientB = "";
  const secretName = `idx-${suffix}`;
  const secretValue = `value-${randomBytes(8).toString("hex")}`;

  const serviceAccountToken = async (namespace: string, audiences: string[] = [TOKEN_EXCHANGE_AUDIENCE]) => {
    const response = await core.createNamespacedServiceAccountToken({
      namespace,
      name: "workload",
      body: { spec: { audiences, expirationSeconds: 600 } },
    });
    assert.ok(response.status?.token, "TokenRequest returned no token");
    return response.status.token;
  };
  const exchange = async (clientId: string, assertion: string) => {
    const token = await workloadIdentityCredential(env.identity, clientId, async () => assertion).getToken(
      VAULT_SCOPE,
    );
    assert.ok(token, "the credential returned no token");
    return token;
  };

  before(async () => {
    for (const namespace of [nsA, nsB]) {
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "workload" } } });
    }
    const issuer = env.kubernetes.serviceAccountIssuer;
    clientA = (await admin.createIdentity({ name: `${nsA}-identity` })).clientId;
    clientB = (await admin.createIdentity({ name: `${nsB}-identity` })).clientId;
    await admin.federateServiceAccount(clientA, issuer, nsA, "workload");
    await admin.federateServiceAccount(clientB, issuer, nsB, "workload");
    for (const principalId of [clientA, clientB]) {
      await admin.assignRole({ principalId, role: "Key Vault Secrets User", vaultName: env.vault.vaultName });
    }
    const seed = localVaultClients(env.vault.url, adminCredential(env.identity), caPem).secrets;
    await seed.setSecret(secretName, secretValue);
  });

  after(async () => {
    admin.close();
    for (const namespace of [nsA, nsB])
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it("exchanges namespace A's token for A's identity and reads the vault with it", async () => {
    const assertion = await serviceAccountToken(nsA);
    const credential = workloadIdentityCredential(env.identity, clientA, async () => assertion);
    const token = await credential.getToken(VAULT_SCOPE);
    assert.ok(token, "the credential returned no token");
    const claims = decodeJwt(token.token).claims;
    assert.equal(claims.appid, clientA);
    assert.equal(claims.aud, "https://vault.azure.net");
    assert.equal(claims.tid, env.identity.tenantId);
    assert.ok(token.expiresOnTimestamp > Date.now());
    const secrets = localVaultClients(env.vault.url, credential, caPem).secrets;
    assert.equal((await secrets.getSecret(secretName)).value, secretValue);
  });

  it("refuses namespace A's token for namespace B's identity (no matching federated credential)", async () => {
    const assertion = await serviceAccountToken(nsA);
    await assert.rejects(exchange(clientB, assertion), (e: unknown) => {
      const message = (e as Error).message;
      assert.match(message, /AADSTS70021/);
      assert.match(message, new RegExp(`system:serviceaccount:${nsA}:workload`));
      assert.ok(!message.includes(assertion), "the assertion must not be echoed");
      return true;
    });
  });

  it("refuses a ServiceAccount token minted for another audience", async () => {
    const assertion = await serviceAccountToken(nsA, ["https://kubernetes.default.svc"]);
    await assert.rejects(exchange(clientA, assertion), /AADSTS700212/);
  });

  it("refuses an unknown client id", async () => {
    const assertion = await serviceAccountToken(nsA);
    await assert.rejects(exchange("0f0f0f0f-0000-4000-8000-000000000000", assertion), /AADSTS700016/);
  });

  describe("assertions signed outside TokenRequest", () => {
    const saKeyFile = path.join(env.stateDir, "pki", "sa.key");
    let realKey: KeyObject;
    let template: { kid: string; claims: Record<string, unknown> };

    before(async () => {
      assert.ok(existsSync(saKeyFile), `the ground's ServiceAccount signing key is expected at ${saKeyFile}`);
      realKey = createPrivateKey(readFileSync(saKeyFile));
      const decoded = decodeJwt(await serviceAccountToken(nsA));
      template = { kid: decoded.header.kid!, claims: decoded.claims };
    });

    it("refuses an expired assertion even when the apiserver's key signed it", async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = signJwt(
        { ...template.claims, iat: now - 1200, nbf: now - 1200, exp: now - 600 },
        realKey,
        template.kid,
      );
      await assert.rejects(exchange(clientA, expired), /AADSTS700024/);
      const fresh = signJwt(
        { ...template.claims, iat: now, nbf: now, exp: now + 600 },
        realKey,
        template.kid,
      );
      const ok = await exchange(clientA, fresh);
      assert.equal(
        decodeJwt(ok.token).claims.appid,
        clientA,
        "the same claims with a valid window are accepted",
      );
    });

    it("refuses an assertion signed by another key under the apiserver's key id", async () => {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const forged = signJwt(template.claims, privateKey, template.kid);
      await assert.rejects(exchange(clientA, forged), /AADSTS700027/);
    });

    it("refuses an assertion from another issuer", async () => {
      const forged = signJwt({ ...template.claims, iss: "https://issuer.example" }, realKey, template.kid);
      await assert.rejects(exchange(clientA, forged), /AADSTS700211/);
    });
  });
});
