import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { findExecutable } from "./binaries.ts";
import { apiserverArgs } from "./ground.ts";
import { kubeconfigFor, subjectFor, type GroundPki } from "./pki.ts";

describe("proving ground pure helpers", () => {
  it("builds X.509 subjects with one O per Kubernetes group", () => {
    assert.equal(subjectFor("keyfleet-admin", ["system:masters"]), "/CN=keyfleet-admin/O=system:masters");
    assert.equal(subjectFor("a", []), "/CN=a");
    assert.equal(subjectFor("u", ["g1", "g2"]), "/CN=u/O=g1/O=g2");
  });

  it("writes a kubeconfig that names the CA and client certificate files", () => {
    const kc = JSON.parse(
      kubeconfigFor("https://127.0.0.1:1234", "/ca.crt", "dev", { certFile: "/c.crt", keyFile: "/c.key" }),
    );
    assert.equal(kc.clusters[0].cluster.server, "https://127.0.0.1:1234");
    assert.equal(kc.clusters[0].cluster["certificate-authority"], "/ca.crt");
    assert.deepEqual(kc.users[0].user, { "client-certificate": "/c.crt", "client-key": "/c.key" });
    assert.equal(kc["current-context"], "keyfleet-local");
  });

  it("binds kube-apiserver to loopback with RBAC and a service-account issuer on its own port", () => {
    const pki = {
      caFile: "/ca",
      serving: { certFile: "/s.crt", keyFile: "/s.key" },
      serviceAccountKeyFile: "/sa.key",
      serviceAccountPubFile: "/sa.pub",
    } as unknown as GroundPki;
    const args = apiserverArgs(pki, 6555, 2379, "/state");
    assert.ok(args.includes("--bind-address=127.0.0.1"));
    assert.ok(args.includes("--authorization-mode=RBAC"));
    assert.ok(args.includes("--service-account-issuer=https://127.0.0.1:6555"));
    assert.ok(args.includes("--etcd-servers=http://127.0.0.1:2379"));
    assert.ok(args.includes("--service-account-signing-key-file=/sa.key"));
  });

  it("finds the first executable candidate and ignores non-executable files", () => {
    const a = mkdtempSync(path.join(os.tmpdir(), "kf-bin-a-"));
    const b = mkdtempSync(path.join(os.tmpdir(), "kf-bin-b-"));
    writeFileSync(path.join(a, "etcd"), "#!/bin/sh\n");
    writeFileSync(path.join(b, "etcd"), "#!/bin/sh\n");
    chmodSync(path.join(b, "etcd"), 0o755);
    assert.equal(findExecutable("etcd", [a, b]), path.join(b, "etcd"));
    assert.equal(findExecutable("kube-apiserver", [a, b]), undefined);
  });
});
