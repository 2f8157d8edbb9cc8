import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { findExecutable } from "./build-cache.ts";
import { partsFor } from "./ground.ts";
import { recordStart } from "./ledger.ts";
import { apiserverArgs } from "./parts/kube-apiserver.ts";
import { groundNetwork } from "./parts/node/network.ts";
import type { ProcessRecord } from "./processes.ts";
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
      clients: { kubeletClient: { certFile: "/k.crt", keyFile: "/k.key" } },
      serving: { certFile: "/s.crt", keyFile: "/s.key" },
      serviceAccountKeyFile: "/sa.key",
      serviceAccountPubFile: "/sa.pub",
    } as unknown as GroundPki;
    const args = apiserverArgs(pki, groundNetwork(3), 6555, "http://127.0.0.1:2379", "/state");
    assert.ok(args.includes("--bind-address=127.0.0.1"));
    assert.ok(args.includes("--authorization-mode=Node,RBAC"));
    assert.ok(args.includes("--enable-admission-plugins=NodeRestriction"));
    assert.ok(
      args.includes("--kubelet-preferred-address-types=InternalIP"),
      "node names are never looked up",
    );
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

  it("runs the worker node only when asked, after every server it depends on", () => {
    const names = (node: boolean, pulumi: boolean) => partsFor({ node, pulumi }).map((p) => p.name);
    const servers = ["etcd", "kube-apiserver", "kube-controller-manager", "azure-local"];
    assert.deepEqual(names(false, false), servers);
    assert.deepEqual(names(true, false), [...servers, "node"]);
    assert.deepEqual(names(true, true), [...servers, "node", "pulumi"]);
    assert.deepEqual(names(false, true), [...servers, "pulumi"]);
  });

  it("records a restarted process in place of the old one and appends new ones", () => {
    const rec = (name: string, pid: number) => ({ name, pid }) as ProcessRecord;
    const ledger = [rec("etcd", 1), rec("kube-apiserver", 2)];
    assert.deepEqual(
      recordStart(ledger, rec("etcd", 7)).map((p) => [p.name, p.pid]),
      [
        ["etcd", 7],
        ["kube-apiserver", 2],
      ],
    );
    assert.deepEqual(
      recordStart(ledger, rec("kubelet", 9)).map((p) => p.name),
      ["etcd", "kube-apiserver", "kubelet"],
    );
  });
});
