/**
 * Writes core/v1 Events on objects. Messages must already be value-free (callers pass names and versions only).
 * A failed Event write is logged and never fails the caller: Events are best-effort in Kubernetes too.
 */
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";

/** The object an Event is about. */
export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** Records Events. */
export interface EventSink {
  emit(target: EventTarget, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
}

/** Kubernetes limits an Event message to 1 KiB in events.k8s.io; keep ours well inside. */
const MAX_MESSAGE = 1000;

/** Event sink backed by the core/v1 Events API. */
export class KubeEventSink implements EventSink {
  private readonly api: k8s.CoreV1Api;
  private readonly component: string;
  private readonly logger: Logger;
  private readonly instance: string;

  /**
   * @param component `source.component` / `reportingComponent` of every Event.
   * @param instance `reportingInstance`; default the host name.
   */
  constructor(
    kubeConfig: k8s.KubeConfig,
    component: string,
    logger: Logger,
    instance = process.env.HOSTNAME ?? "keyfleet",
  ) {
    this.api = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.component = component;
    this.logger = logger;
    this.instance = instance;
  }

  async emit(
    target: EventTarget,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date();
    try {
      await this.api.createNamespacedEvent({
        namespace: target.namespace,
        body: {
          metadata: { name: `${target.name}.${randomBytes(8).toString("hex")}`, namespace: target.namespace },
          involvedObject: {
            apiVersion: target.apiVersion,
            kind: target.kind,
            name: target.name,
            namespace: target.namespace,
            ...(target.uid ? { uid: target.uid } : {}),
          },
          type,
          reason,
          message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      this.logger.warn(
        { err: error, kind: target.kind, name: target.name, namespace: target.namespace, reason },
        "event write failed",
      );
    }
  }
}
