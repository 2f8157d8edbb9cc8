/** kube-scheduler for the worker node: its own identity (system:kube-scheduler), loopback only, no leader election. */
import type { GroundPki } from "../../pki.ts";
import type { ProcessSpec } from "../../processes.ts";

/** The process spec; ready when its health endpoint answers (anonymous /healthz is allowed by default). */
export function schedulerSpec(
  scheduler: string,
  kubeconfig: string,
  port: number,
  pki: GroundPki,
  logFile: string,
): ProcessSpec {
  return {
    name: "kube-scheduler",
    command: scheduler,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--tls-cert-file=${pki.serving.certFile}`,
      `--tls-private-key-file=${pki.serving.keyFile}`,
      "--v=1",
    ],
    logFile,
    probe: { kind: "http", url: `https://127.0.0.1:${port}/healthz`, tls: { caFile: pki.caFile } },
    readySeconds: 60,
  };
}
