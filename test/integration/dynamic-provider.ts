/**
 * Drives a Pulumi dynamic provider the way the engine does, without the engine: the provider object is serialized
 * exactly as `pulumi.dynamic.Resource` serializes it (`serializeFunction(() => provider, { allowSecrets: true })`),
 * and `@pulumi/pulumi/cmd/dynamic-provider` — the program the engine starts for `pulumi-nodejs` resources — runs in
 * its own Node process (the pinned one) and is called over its gRPC ResourceProvider service. Inputs travel as the
 * engine sends them to a provider that does not accept secrets: plain, with `__provider` holding the serialized text.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";

const fromPulumi = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi"));
/* eslint-disable @typescript-eslint/no-explicit-any -- generated CommonJS protobuf modules without types */
const grpc = fromPulumi("@grpc/grpc-js") as any;
const services = fromPulumi("./proto/provider_grpc_pb.js") as any;
const messages = fromPulumi("./proto/provider_pb.js") as any;
const struct = fromPulumi("google-protobuf/google/protobuf/struct_pb.js") as any;
/* eslint-enable @typescript-eslint/no-explicit-any */
const PROGRAM = fromPulumi.resolve("./cmd/dynamic-provider/index.js");

/** Plain JSON properties. */
export type Props = Record<string, unknown>;

/** The serialized text `dynamic.Resource` stores in `__provider` for this provider object. */
export async function serializeAsPulumiDoes(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
  return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

/** What the engine learns from a Diff call. */
export interface DiffAnswer {
  changes: "unknown" | "none" | "some";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/** A running dynamic-provider process. */
export interface DynamicProviderProcess {
  create(props: Props): Promise<{ id: string; props: Props }>;
  read(id: string, props: Props): Promise<{ id: string; props: Props }>;
  diff(id: string, olds: Props, news: Props): Promise<DiffAnswer>;
  update(id: string, olds: Props, news: Props): Promise<Props>;
  delete(id: string, props: Props): Promise<void>;
  /** Everything the process wrote to stderr (to assert that no secret value appears). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `@pulumi/pulumi/cmd/dynamic-provider` and connects to it (after `Configure`, as the engine does). */
export async function startDynamicProvider(): Promise<DynamicProviderProcess> {
  // The engine passes its own address; the program only requires that one is given.
  const child: ChildProcess = spawn(process.execPath, [PROGRAM, "127.0.0.1:1"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = /^(\d+)\s*$/m.exec(out);
      if (line) resolve(line[1]!);
    });
    child.on("exit", (code) => reject(new Error(`dynamic-provider exited ${code}: ${stderr}`)));
  });
  const client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) =>
      client[method](request, (error: Error | null, response: T) =>
        error ? reject(error) : resolve(response),
      ),
    );
  const toStruct = (value: Props) => struct.Struct.fromJavaScript(value);

  const configure = new messages.ConfigureRequest();
  configure.setArgs(toStruct({}));
  await call("configure", configure);

  return {
    async create(props) {
      const req = new messages.CreateRequest();
      req.setProperties(toStruct(props));
      const resp = await call<{ getId(): string; getProperties(): { toJavaScript(): Props } }>("create", req);
      return { id: resp.getId(), props: resp.getProperties().toJavaScript() };
    },
    async read(id, props) {
      const req = new messages.ReadRequest();
      req.setId(id);
      req.setProperties(toStruct(props));
      const resp = await call<{ getId(): string; getProperties(): { toJavaScript(): Props } }>("read", req);
      return { id: resp.getId(), props: resp.getProperties().toJavaScript() };
    },
    async diff(id, olds, news) {
      const req = new messages.DiffRequest();
      req.setId(id);
      req.setOlds(toStruct(olds));
      req.setNews(toStruct(news));
      const resp = await call<{
        getChanges(): number;
        getReplacesList(): string[];
        getDeletebeforereplace(): boolean;
      }>("diff", req);
      const changes = (["unknown", "none", "some"] as const)[resp.getChanges()] ?? "unknown";
      return {
        changes,
        replaces: resp.getReplacesList(),
        deleteBeforeReplace: resp.getDeletebeforereplace(),
      };
    },
    async update(id, olds, news) {
      const req = new messages.UpdateRequest();
      req.setId(id);
      req.setOlds(toStruct(olds));
      req.setNews(toStruct(news));
      const resp = await call<{ getProperties(): { toJavaScript(): Props } }>("update", req);
      return resp.getProperties().toJavaScript();
    },
    async delete(id, props) {
      const req = new messages.DeleteRequest();
      req.setId(id);
      req.setProperties(toStruct(props));
      await call("delete", req);
    },
    stderr: () => stderr,
    async stop() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
