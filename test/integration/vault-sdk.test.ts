/**
 * Proves the local vault with the unmodified Azure SDK clients (serviceVersion pinned to 7.6, CA trusted
 * explicitly, real challenge authentication and tokens from the local identity endpoint): secret lifecycle with
 * versions, delete/recover/purge, 25-item paging, keys, certificates with their backing secret, and RBAC.
 * Runs against an isolated in-process instance and, when KEYFLEET_LOCAL_ENV is set, the running proving ground.
 */
import assert from "node:assert/strict";
import { randomBytes, X509Certificate, createPrivateKey } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createSecureContext } from "node:tls";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { groundTarget, inProcessTarget, type VaultTarget } from "../azure-local/vault-targets.ts";

const targets: Array<[string, () => Promise<VaultTarget>]> = [["in-process", inProcessTarget]];
if (process.env.KEYFLEET_LOCAL_ENV)
  targets.push(["proving ground", async () => groundTarget(readLocalEnvironment())]);

/** A credential handing out a fixed token (minted through the management API). */
function staticCredential(token: string): TokenCredential {
  return { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 60_000 }) };
}

function restError(e: unknown): { statusCode?: number; code?: string; message: string } {
  return e as { statusCode?: number; code?: string; message: string };
}

for (const [label, start] of targets) {
  describe(`local vault via the Azure SDK (${label})`, () => {
    let t: VaultTarget;
    const run = randomBytes(3).toString("hex");
    const values: string[] = [];
    const secretValue = (tag: string) => {
      const v = `value-${tag}-${randomBytes(8).toString("hex")}`;
      values.push(v);
      return v;
    };

    before(async () => {
      t = await start();
    });
    after(async () => {
      await t?.stop();
    });

    it("creates a secret, adds a version, lists versions, reads the old one, updates attributes", async () => {
      const { secrets } = t.clients(t.adminCredential);
      const name = `db-${run}`;
      const v1 = secretValue("v1");
      const v2 = secretValue("v2");
      const first = await secrets.setSecret(name, v1, { contentType: "text/plain", tags: { team: "a" } });
      const second = await secrets.setSecret(name, v2);
      assert.notEqual(first.properties.version, second.properties.version);
      assert.equal(first.properties.vaultUrl, new URL(t.vault.url).origin);
      assert.equal((await secrets.getSecret(name)).value, v2);
      assert.equal((await secrets.getSecret(name, { version: first.properties.version! })).value, v1);
      const versions: string[] = [];
      for await (const p of secrets.listPropertiesOfSecretVersions(name)) versions.push(p.version!);
      assert.deepEqual(versions.sort(), [first.properties.version, second.properties.version].sort());

      const updated = await secrets.updateSecretProperties(name, first.properties.version!, {
        enabled: false,
        tags: { team: "b" },
      });
      assert.equal(updated.enabled, false);
      assert.deepEqual(updated.tags, { team: "b" });
      await assert.rejects(secrets.getSecret(name, { version: first.properties.version! }), (e: unknown) => {
        assert.equal(restError(e).statusCode, 403);
        assert.match(restError(e).message, /disabled secret/);
        return true;
      });
      assert.equal((await secrets.getSecret(name)).value, v2, "the latest version stays readable");
    });

    it("soft-deletes, refuses reuse of the name, recovers, and purges", async () => {
      const { secrets } = t.clients(t.adminCredential);
      const name = `gone-${run}`;
      const value = secretValue("gone");
      await secrets.setSecret(name, value);
      const deleted = await (await secrets.beginDeleteSecret(name, { intervalInMs: 20 })).pollUntilDone();
      assert.ok(deleted.recoveryId?.endsWith(`/deletedsecrets/${name}`));
      assert.equal((await secrets.getDeletedSecret(name)).name, name);
      await assert.rejects(secrets.getSecret(name), (e: unknown) => restError(e).code === "SecretNotFound");
      await assert.rejects(secrets.setSecret(name, "x"), (e: unknown) => {
        assert.equal(restError(e).statusCode, 409);
        assert.match(restError(e).message, /deleted but recoverable/);
        return true;
      });
      await (await secrets.beginRecoverDeletedSecret(name, { intervalInMs: 20 })).pollUntilDone();
      assert.equal((await secrets.getSecret(name)).value, value);

      await (await secrets.beginDeleteSecret(name, { intervalInMs: 20 })).pollUntilDone();
      await secrets.purgeDeletedSecret(name);
      await assert.rejects(secrets.getDeletedSecret(name), (e: unknown) => restError(e).statusCode === 404);
      await secrets.setSecret(name, secretValue("reused"));
    });

    it("pages lists by at most 25 items with nextLink", async () => {
      const { secrets } = t.clients(t.adminCredential);
      const name = `paged-${run}`;
      for (let i = 0; i < 30; i++) await secrets.setSecret(name, secretValue(`p${i}`));
      const pageSizes: number[] = [];
      for await (const page of secrets.listPropertiesOfSecretVersions(name).byPage())
        pageSizes.push(page.length);
      assert.deepEqual(pageSizes, [25, 5]);
      const small: number[] = [];
      for await (const page of secrets.listPropertiesOfSecretVersions(name).byPage({ maxPageSize: 10 })) {
        small.push(page.length);
      }
      assert.deepEqual(small, [10, 10, 10]);
      let listed = 0;
      for await (const p of secrets.listPropertiesOfSecrets()) if (p.name === name) listed++;
      assert.equal(listed, 1);
    });

    it("creates and imports keys and reads them by version", async () => {
      const { keys } = t.clients(t.adminCredential);
      const rsa = await keys.createRsaKey(`rsa-${run}`, { keySize: 2048 });
      assert.equal(rsa.keyType, "RSA");
      assert.ok(rsa.key?.n && rsa.key.e && !rsa.key.d, "public parts only");
      const rsa2 = await keys.createRsaKey(`rsa-${run}`);
      const old = await keys.getKey(`rsa-${run}`, { version: rsa.properties.version! });
      assert.deepEqual(Buffer.from(old.key!.n!), Buffer.from(rsa.key!.n!));
      const versions: string[] = [];
      for await (const p of keys.listPropertiesOfKeyVersions(`rsa-${run}`)) versions.push(p.version!);
      assert.deepEqual(versions.sort(), [rsa.properties.version, rsa2.properties.version].sort());
      const ec = await keys.createEcKey(`ec-${run}`, { curve: "P-384" });
      assert.equal(ec.key?.crv, "P-384");
      const imported = await keys.importKey(`imp-${run}`, {
        kty: "RSA",
        n: Buffer.from(rsa.key!.n!),
        e: Buffer.from(rsa.key!.e!),
      });
      assert.equal(imported.name, `imp-${run}`);
      await assert.rejects(keys.getKey(`nokey-${run}`), (e: unknown) => restError(e).code === "KeyNotFound");
    });

    it("creates a self-signed certificate whose backing secret holds PEM key + chain", async () => {
      const { certificates, secrets } = t.clients(t.adminCredential);
      const name = `pem-${run}`;
      const cert = await (
        await certificates.beginCreateCertificate(
          name,
          {
            issuerName: "Self",
            subject: "CN=app.keyfleet.test",
            contentType: "application/x-pem-file",
            validityInMonths: 3,
          },
          { intervalInMs: 20 },
        )
      ).pollUntilDone();
      const x509 = new X509Certificate(Buffer.from(cert.cer!));
      assert.match(x509.subject, /CN=app.keyfleet.test/);
      const backing = await secrets.getSecret(name);
      assert.equal(backing.properties.contentType, "application/x-pem-file");
      assert.equal(backing.properties.managed, true);
      assert.equal(backing.properties.version, cert.properties.version);
      assert.ok(backing.properties.certificateKeyId?.endsWith(`/keys/${name}/${cert.properties.version}`));
      const key = createPrivateKey(backing.value!);
      assert.ok(
        new X509Certificate(
          backing.value!.slice(backing.value!.indexOf("-----BEGIN CERTIFICATE")),
        ).checkPrivateKey(key),
      );
      await assert.rejects(secrets.setSecret(name, "x"), (e: unknown) => restError(e).statusCode === 403);
    });

    it("creates a PKCS#12 certificate, imports PEM and PFX, and lists certificate versions", async () => {
      const { certificates, secrets } = t.clients(t.adminCredential);
      const name = `pfx-${run}`;
      const created = await (
        await certificates.beginCreateCertificate(
          name,
          { issuerName: "Self", subject: "CN=pfx.keyfleet.test" },
          { intervalInMs: 20 },
        )
      ).pollUntilDone();
      const pfxSecret = await secrets.getSecret(name);
      assert.equal(pfxSecret.properties.contentType, "application/x-pkcs12");
      createSecureContext({ pfx: Buffer.from(pfxSecret.value!, "base64"), passphrase: "" });

      const pemSecret = await secrets.getSecret(`pem-${run}`);
      const importedPem = await certificates.importCertificate(`imp-${name}`, Buffer.from(pemSecret.value!), {
        policy: {
          contentType: "application/x-pem-file",
          issuerName: "Self",
          subject: "CN=app.keyfleet.test",
        },
      });
      assert.equal((await secrets.getSecret(`imp-${name}`)).value, pemSecret.value);
      const importedPfx = await certificates.importCertificate(name, Buffer.from(pfxSecret.value!, "base64"));
      assert.deepEqual(Buffer.from(importedPfx.cer!), Buffer.from(created.cer!));
      assert.ok(importedPem.properties.version);
      const versions: string[] = [];
      for await (const p of certificates.listPropertiesOfCertificateVersions(name)) versions.push(p.version!);
      assert.equal(versions.length, 2);
      const old = await certificates.getCertificateVersion(name, created.properties.version!);
      assert.deepEqual(Buffer.from(old.cer!), Buffer.from(created.cer!));
    });

    it("enforces Azure RBAC per identity and vault (403 ForbiddenByRbac), and 401 for bad tokens", async () => {
      const { secrets: adminSecrets } = t.clients(t.adminCredential);
      const name = `rbac-${run}`;
      const value = secretValue("rbac");
      await adminSecrets.setSecret(name, value);
      const identity = await t.admin.createIdentity({ name: `reader-${run}` });
      const { accessToken } = await t.admin.mintToken({ clientId: identity.clientId });
      const reader = t.clients(staticCredential(accessToken)).secrets;
      await assert.rejects(reader.getSecret(name), (e: unknown) => {
        assert.equal(restError(e).statusCode, 403);
        assert.equal(restError(e).code, "Forbidden");
        assert.match(restError(e).message, /Caller is not authorized/);
        return true;
      });
      const assignment = await t.admin.assignRole({
        principalId: identity.clientId,
        role: "Key Vault Secrets User",
        vaultName: t.vault.vaultName,
      });
      assert.equal((await reader.getSecret(name)).value, value);
      await assert.rejects(reader.setSecret(name, "x"), (e: unknown) => restError(e).statusCode === 403);
      await t.admin.deleteRoleAssignment(assignment.id);
      await assert.rejects(reader.getSecret(name), (e: unknown) => restError(e).statusCode === 403);

      const expired = await t.admin.mintToken({ lifetimeSeconds: -60 });
      const wrongAudience = await t.admin.mintToken({ resource: "https://management.azure.com" });
      for (const [what, token] of [
        ["expired", expired.accessToken],
        ["wrong audience", wrongAudience.accessToken],
      ] as const) {
        await assert.rejects(t.clients(staticCredential(token)).secrets.getSecret(name), (e: unknown) => {
          assert.equal(restError(e).statusCode, 401, what);
          return true;
        });
      }
    });

    it("never logs a secret value", () => {
      const log = t.logText();
      assert.ok(log.length > 0);
      for (const v of values) assert.ok(!log.includes(v), "a secret value appeared in the stand-in's log");
    });
  });
}
