/** One keep-alive connection pool per KubeConfig for every API client the runtime makes. */
import * as k8s from "@kubernetes/client-node";

/**
 * client-node's KubeConfig authentication builds a new HTTP agent (a new TLS connection) for every request.
 * This wraps it so all API clients made from one KubeConfig share one keep-alive connection pool: headers
 * (e.g. a rotated in-cluster token) still come from the KubeConfig on each request.
 */
export function pooledAuthentication(kubeConfig: k8s.KubeConfig): k8s.SecurityAuthentication {
  let dispatcher: ReturnType<k8s.RequestContext["getDispatcher"]>;
  return {
    getName: () => "keyfleet-pooled-kubeconfig",
    async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
      await kubeConfig.applySecurityAuthentication(context);
      if (dispatcher === undefined) dispatcher = context.getDispatcher();
      else context.setDispatcher(dispatcher);
    },
  };
}

const pools = new WeakMap<k8s.KubeConfig, k8s.SecurityAuthentication>();

/** Like `kubeConfig.makeApiClient`, but every client of one KubeConfig shares one connection pool. */
export function makeApiClient<T>(
  kubeConfig: k8s.KubeConfig,
  apiClientType: new (config: k8s.Configuration) => T,
): T {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  let auth = pools.get(kubeConfig);
  if (!auth) {
    auth = pooledAuthentication(kubeConfig);
    pools.set(kubeConfig, auth);
  }
  const config = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server, {}),
    authMethods: { default: auth },
  });
  return new apiClientType(config);
}
