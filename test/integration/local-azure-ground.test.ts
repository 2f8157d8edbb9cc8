/**
 * The local Azure twins grant what their Azure originals grant, on the proving ground: an identity, its Key Vault
 * Secrets User role on the ground's vault, a federated credential for one ServiceAccount (issuer = the ground's
 * apiserver) and a generated seed secret — created through the dynamic-provider process as the engine runs them —
 * let that ServiceAccount's TokenRequest token read the secret through the real token exchange; deleting the
 * credential, then the identity, takes the access away again. Needs the proving ground (KEYFLEET_LOCAL_ENV).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { SecretClient } from "@azure/keyvault-secrets";
import { LOCAL_AZURE_PROVIDERS, localVaultResourceId } from "../../components/local-azure/index.ts";
import { readLocalEnvironment, type LocalEnvironment } from "../../scripts/local/env.ts";
import { TOKEN_EXCHANGE_AUDIENCE } from "../../common/vocabulary.ts";
import { adminCredential, localVaultClientOptions, workloadIdentityCredential } from "../azure-local/sdk.ts";
import {
  serializeAsPulumiDoes,
  startDynamicProvider,
  type DynamicProviderProcess,
  type Props,
} from "../support/dynamic-provider.ts";

if (!process.env.KEYFLEET_LOCAL_ENV) {
  throw new Error(
    "local-azure-ground tests need the proving ground: set KEYFLEET_LOCAL_ENV (npm test does) or run `npm run local:up` " +
      "and KEYFLEET_LOCAL_ENV=.keyfleet/local/env.json node --test test/integration/local-azure-ground.test.ts",
  );
}
const env: LocalEnvironment = readLocalEnvironment();
const SECRETS_USER =
  "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6";

/** The vault's admin client (the stand-in's management identity), to see what the vault holds. */
function adminSecrets(): SecretClient {
  const caPem = readFileSync(env.vault.caFile, "utf8");
  return new SecretClient(env.vault.url, adminCredential(env.identity), localVaultClientOptions(caPem));
}

describe("local twins on the proving ground grant exactly what Azure's would", () => {
  const suffix = randomBytes(3).toString("hex");
  const namespace = `kf-lag-${suffix}`;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.kubernetes.adminKubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const text: Record<string, string> = {};
  let dp: DynamicProviderProcess;
  const created: Array<{ kind: string; id: string; props: Props }> = [];
  let identity: { id: string; props: Props };
  let fic: { id: string; props: Props };
  let secret: { id: string; props: Props };

  const create = async (kind: keyof typeof LOCAL_AZURE_PROVIDERS, inputs: Props) => {
    const result = await dp.create({ ...inputs, ground: env.envFile, __provider: text[kind]! });
    created.push({ kind, ...result });
    return result;
  };
  const remove = async (result: { id: string; props: Props }) => {
    await dp.delete(result.id, result.props);
    created.splice(
      created.findIndex((c) => c.id === result.id),
      1,
    );
  };
  /** Reads the secret as the ServiceAccount's workload identity would: TokenRequest → exchange → GET. */
  const readAsWorkload = async (): Promise<string | undefined> => {
    const request = await core.createNamespacedServiceAccountToken({
      namespace,
      name: "workload",
      body: { spec: { audiences: [TOKEN_EXCHANGE_AUDIENCE], expirationSeconds: 600 } },
    });
    const credential = workloadIdentityCredential(env.identity, String(identity.props.clientId), async () =>
      String(request.status?.token),
    );
    const caPem = readFileSync(env.vault.caFile, "utf8");
    const client = new SecretClient(
      env.vault.url,
      credential,
      localVaultClientOptions(caPem, { retryOptions: { maxRetries: 0 } }),
    );
    return (await client.getSecret(String(secret.props.secretName))).value;
  };

  before(async () => {
    for (const [kind, provider] of Object.entries(LOCAL_AZURE_PROVIDERS))
      text[kind] = await serializeAsPulumiDoes(provider);
    dp = await startDynamicProvider();
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "workload" } } });
  });

  after(async () => {
    for (const c of created.reverse()) await dp.delete(c.id, c.props).catch(() => undefined);
    await dp?.stop();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  void it("identity + Secrets User on the vault + federated credential: the ServiceAccount reads the generated seed", async () => {
    identity = await create("userAssignedIdentity", { resourceName: `${namespace}-wi` });
    await create("roleAssignment", {
      principalId: identity.props.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: SECRETS_USER,
      scope: localVaultResourceId(env.vault.vaultName),
    });
    fic = await create("federatedIdentityCredential", {
      clientId: identity.id,
      resourceName: `${namespace}-wi`,
      federatedIdentityCredentialResourceName: `${namespace}-workload`,
      issuer: env.kubernetes.serviceAccountIssuer,
      subject: `system:serviceaccount:${namespace}:workload`,
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
    });
    secret = await create("vaultSecret", {
      vaultName: env.vault.vaultName,
      secretName: `lag-${suffix}`,
      properties: {},
      generateValueLength: 32,
    });
    // The generated value lives only in the vault (no output): the workload reads what the vault admin sees.
    assert.equal((secret.props.properties as { value?: string }).value, undefined);
    const generated = (await adminSecrets().getSecret(`lag-${suffix}`)).value!;
    assert.equal(generated.length, 32);
    assert.equal(await readAsWorkload(), generated);
  });

  void it("without the federated credential the exchange is refused; without the identity too", async () => {
    await remove(fic);
    await assert.rejects(readAsWorkload(), /AADSTS700211|AADSTS70021/);
    await remove(identity);
    await assert.rejects(readAsWorkload(), /AADSTS700016/);
  });

  void it("destroying the seed leaves nothing in the vault, not even a soft-deleted secret", async () => {
    await remove(secret);
    const admin = adminSecrets();
    await assert.rejects(admin.getSecret(String(secret.props.secretName)), { statusCode: 404 });
    await assert.rejects(admin.getDeletedSecret(String(secret.props.secretName)), { statusCode: 404 });
  });
});
