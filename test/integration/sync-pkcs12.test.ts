/**
 * PKCS#12-stored certificates end to end against the proving ground: certificates created in the local vault
 * with content type application/x-pkcs12 (Key Vault's default) reach kubernetes.io/tls and Opaque Secrets as
 * PEM through the in-process runtime; a PKCS#12 secret that turns unreadable keeps the Secret's last good value.
 * Key material is grepped for in every log line, Event and status of the run at the end.
 */
import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { openAzure } from "../support/azure.ts";
import type { DemoAzure } from "../support/azure.ts";
import { KubeHelper, objectsParameter, waitFor, waitForReason } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { Reason } from "../../sync-runtime/constants.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";
import { pemBlocks } from "../../sync-runtime/sync/convert.ts";
import { pemFromPkcs12 } from "../../sync-runtime/sync/pkcs12.ts";
import { loadPkcs12Reader } from "../../sync-runtime/sync/pkcs12-reader.ts";
import { pkcs12Fixtures } from "../support/pkcs12-fixtures.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const PKCS12 = "application/x-pkcs12";
/** Key material seen in Secrets: must never show up in logs, Events or status. */
const material: string[] = [];
let azure: DemoAzure;
let ns = "";
let clientId = "";
let rt: TestRuntime;
const prefix = `p12${Date.now().toString(36)}`;
const name = (n: string) => `${prefix}-${n}`;

async function spc(className: string, objects: Parameters<typeof objectsParameter>[0]): Promise<void> {
  await kube.applySpc(ns, className, {
    keyvaultName: env.vault.vaultName,
    tenantID: env.identity.tenantId,
    clientID: clientId,
    objects: objectsParameter(objects),
  });
}

async function tlsSync(syncName: string, className: string, sourcePath: string): Promise<void> {
  await kube.applySecretSync(ns, syncName, {
    serviceAccountName: "app-sa",
    secretProviderClassName: className,
    secretObject: {
      type: "kubernetes.io/tls",
      data: [
        { sourcePath, targetKey: "tls.crt" },
        { sourcePath, targetKey: "tls.key" },
      ],
    },
  });
}

/** tls.crt / tls.key of a Secret, parsed with node:crypto; records the key for the leak check. */
async function tlsOf(secretName: string) {
  const values = await kube.secretValues(ns, secretName);
  const crt = values?.["tls.crt"] ?? "";
  const key = values?.["tls.key"] ?? "";
  material.push(...pemBlocks(key).map((b) => b.block.split("\n")[1]!));
  const chain = pemBlocks(crt).map((b) => new X509Certificate(b.block));
  return { crt, key, chain, privateKey: createPrivateKey(key) };
}

void describe("PKCS#12 certificates (real apiserver + local vault)", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    ns = await kube.namespace("sync-p12");
    clientId = await azure.registerWorkload(ns, "app-sa");
    rt = await startRuntime({
      env,
      kubeConfig: kube.kubeConfig,
      namespaces: [ns],
      rotationPollIntervalSeconds: 2,
      jitterSeconds: 1,
    });
  });
  after(async () => {
    await rt?.stop();
    await kube.deleteNamespace(ns);
    await azure?.close();
  });

  void it("syncs PKCS#12 certificates into kubernetes.io/tls (RSA, EC) and Opaque (PEM bundle, PFX)", async () => {
    await azure.createCertificate(name("web"), { contentType: PKCS12 });
    await azure.createCertificate(name("web-ec"), { contentType: PKCS12, keyType: "EC" });
    await spc("pki", [
      { objectName: name("web"), objectAlias: "web-bundle" },
      { objectName: name("web"), objectAlias: "web-pfx", objectFormat: "pfx" },
      { objectName: name("web"), objectAlias: "web-cert", objectType: "cert" },
      { objectName: name("web-ec"), objectAlias: "ec-bundle" },
    ]);
    await tlsSync("web-tls", "pki", "web-bundle");
    await tlsSync("ec-tls", "pki", "ec-bundle");
    await kube.applySecretSync(ns, "web-files", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "pki",
      secretObject: {
        data: [
          { sourcePath: "web-bundle", targetKey: "bundle.pem" },
          { sourcePath: "web-pfx", targetKey: "web.pfx" },
          { sourcePath: "web-cert", targetKey: "cert.pem" },
        ],
      },
    });
    for (const s of ["web-tls", "ec-tls", "web-files"])
      await waitForReason(kube, ns, s, Reason.createSucceeded);

    const web = await tlsOf("web-tls");
    assert.equal((await kube.secret(ns, "web-tls"))?.type, "kubernetes.io/tls");
    assert.match(web.key, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    assert.equal(pemBlocks(web.key).length, 1);
    assert.doesNotMatch(web.crt, /PRIVATE KEY/);
    assert.equal(web.chain[0]?.subject, `CN=${name("web")}.example`);
    assert.ok(web.chain[0]?.checkPrivateKey(web.privateKey), "tls.key matches tls.crt");
    assert.equal(web.privateKey.asymmetricKeyType, "rsa");

    const ec = await tlsOf("ec-tls");
    assert.equal(ec.privateKey.asymmetricKeyType, "ec");
    assert.ok(ec.chain[0]?.checkPrivateKey(ec.privateKey), "EC tls.key matches tls.crt");

    const files = await kube.secret(ns, "web-files");
    const data = (k: string) => Buffer.from(files?.data?.[k] ?? "", "base64");
    const bundle = data("bundle.pem").toString();
    assert.deepEqual(
      pemBlocks(bundle).map((b) => b.label),
      ["PRIVATE KEY", "CERTIFICATE"],
    );
    assert.equal(new X509Certificate(data("cert.pem")).fingerprint256, web.chain[0]?.fingerprint256);
    // objectFormat pfx: the PFX itself, which opens to the same key and certificate.
    const fromPfx = pemFromPkcs12((await loadPkcs12Reader())(data("web.pfx")));
    assert.equal(fromPfx, bundle);
  });

  void it("keeps the last good value when a PKCS#12 secret turns unreadable, and says why", async () => {
    const fx = await pkcs12Fixtures();
    // A legacy PFX (RC2-40 / 3DES, SHA-1 MAC) with a chain, uploaded as a secret with the PKCS#12 content type.
    await azure.setSecret(name("upload"), fx.legacy.toString("base64"), PKCS12);
    await spc("upload", [{ objectName: name("upload"), objectAlias: "upload" }]);
    await tlsSync("upload-tls", "upload", "upload");
    await waitForReason(kube, ns, "upload-tls", Reason.createSucceeded);
    const good = await kube.secret(ns, "upload-tls");
    const first = await tlsOf("upload-tls");
    assert.deepEqual(
      first.chain.map((c) => c.fingerprint256),
      [fx.leafPem, fx.intermediatePem].map((p) => new X509Certificate(p).fingerprint256),
    );
    assert.ok(first.privateKey.equals(fx.leafKey));

    await azure.setSecret(name("upload"), fx.passwordProtected.toString("base64"), PKCS12);
    const ready = await waitFor(
      "the PKCS#12 failure in status",
      async () => {
        const r = await kube.ready(ns, "upload-tls");
        return r?.status === "False" && /PKCS#12 certificate could not be read/.test(r.message)
          ? r
          : undefined;
      },
      30_000,
    );
    assert.match(
      ready.message,
      /object upload: the PKCS#12 certificate could not be read: .*password-protected/,
    );
    const now = await kube.secret(ns, "upload-tls");
    assert.deepEqual(now?.data, good?.data, "the Secret keeps its last good value");
  });

  void it("never shows key material in logs, Events or status", async () => {
    const events = JSON.stringify((await kube.core.listNamespacedEvent({ namespace: ns })).items);
    const syncs = JSON.stringify(
      await kube.custom.listNamespacedCustomObject({
        group: "secret-sync.x-k8s.io",
        version: "v1alpha1",
        plural: "secretsyncs",
        namespace: ns,
      }),
    );
    const logs = rt.logs.join("\n");
    assert.ok(rt.logs.length > 5, "the run logged");
    assert.ok(material.length >= 3);
    for (const line of material) {
      for (const [where, text] of [
        ["logs", logs],
        ["events", events],
        ["status", syncs],
      ] as const) {
        assert.ok(!text.includes(line), `key material appeared in ${where}`);
      }
    }
  });
});
