/** The shape every local Azure resource kind implements (CRUD of one dynamic resource; runs in the provider process). */
import type * as pulumi from "@pulumi/pulumi";

/** CRUD of one kind; `I` = inputs, `O` = outputs (the state). Inputs arrive without the engine's `__provider`. */
export interface Handler<I, O> {
  create(inputs: I): Promise<{ id: string; outs: O }>;
  /** `{ id: "" }` when the resource no longer exists (the engine then drops it from the state). */
  read(id: string, props: O): Promise<{ id: string; props?: O }>;
  diff(id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult>;
  update(id: string, olds: O, news: I): Promise<{ outs: O }>;
  delete(id: string, props: O): Promise<void>;
}
