/**
 * The serializable half of the local Azure providers.
 *
 * Pulumi stores a dynamic provider in each resource's state as source text produced by its closure serializer, and
 * the engine runs that text in a separate Node process (`@pulumi/pulumi/cmd/dynamic-provider`, a CommonJS program
 * that loads it with require-from-string). This project is ESM with `.ts` sources, and whatever a method captures is
 * serialized with it. So each method captures exactly two strings — the implementation module's absolute file URL
 * and the resource kind — and loads the implementation with a dynamic `import()` inside the call: no module state,
 * client, key or token is ever serialized, and the implementation can change without replacing any resource.
 * Proven in test/integration/local-azure-provider.test.ts: the provider is serialized exactly as
 * `dynamic.Resource` does it and driven through that very dynamic-provider process over gRPC.
 * Keep it that way: no helper functions, no imports used at run time, no `this`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ImplModule, LocalAzureKind } from "./impl.ts";

/** A dynamic provider for one kind whose methods load `implUrl` (an absolute `file:` URL of ./impl.ts). */
export function localAzureProvider(implUrl: string, kind: LocalAzureKind): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs: Record<string, unknown>) {
      const impl = (await import(implUrl)) as ImplModule;
      const { __provider: _, ...rest } = inputs;
      return impl.handlers[kind].create(rest);
    },
    async read(id: string, props: Record<string, unknown>) {
      const impl = (await import(implUrl)) as ImplModule;
      const { __provider: _, ...rest } = props;
      return impl.handlers[kind].read(id, rest);
    },
    async diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const impl = (await import(implUrl)) as ImplModule;
      const { __provider: _o, ...old } = olds;
      const { __provider: _n, ...next } = news;
      return impl.handlers[kind].diff(id, old, next);
    },
    async update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const impl = (await import(implUrl)) as ImplModule;
      const { __provider: _o, ...old } = olds;
      const { __provider: _n, ...next } = news;
      return impl.handlers[kind].update(id, old, next);
    },
    async delete(id: string, props: Record<string, unknown>) {
      const impl = (await import(implUrl)) as ImplModule;
      const { __provider: _, ...rest } = props;
      await impl.handlers[kind].delete(id, rest);
    },
  };
}
