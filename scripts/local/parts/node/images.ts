/**
 * Container images for the worker node, made here without any registry: a rootfs folder packed as one uncompressed
 * layer into an OCI image-layout archive, which containerd imports.
 *  - node:  the pinned Node binary (the npm package `node`, the same Node every script runs on) and the shared
 *           libraries `ldd` lists for it — what the runtime's Deployment and the demo's workload run;
 *  - pause: a static sandbox program (pause.c) — what containerd's CRI runs as each pod's sandbox.
 * Archives are cached per content in the image cache; building one takes seconds.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { imageCacheDir, PINNED_NODE, pinnedNodeVersion } from "../../paths.ts";

/** Registry-less references of the node's images (never pulled: containerd routes every registry to loopback). */
export const IMAGE_REFS = {
  node: (nodeVersion: string) => `keyfleet.local/node:${nodeVersion}`,
  pause: "keyfleet.local/pause:1.0",
} as const;

/** A built image archive and its reference. */
export interface ImageArchive {
  ref: string;
  archive: string;
}

/** The image's runtime settings (OCI image config `config`). */
export interface ImageSettings {
  env: string[];
  entrypoint?: string[];
  cmd?: string[];
}

const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar",
} as const;

/** Pure: the three JSON documents of a one-layer OCI image, each with its digest. */
export function ociDocuments(
  ref: string,
  layer: { digest: string; size: number },
  settings: ImageSettings,
): { config: string; manifest: string; index: string; configDigest: string; manifestDigest: string } {
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: {
      Env: settings.env,
      Entrypoint: settings.entrypoint,
      Cmd: settings.cmd,
      WorkingDir: "/",
    },
    rootfs: { type: "layers", diff_ids: [layer.digest] },
  });
  const configDigest = sha256Text(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: configDigest, size: Buffer.byteLength(config) },
    layers: [{ mediaType: MEDIA.layer, digest: layer.digest, size: layer.size }],
  });
  const manifestDigest = sha256Text(manifest);
  const index = JSON.stringify({
    schemaVersion: 2,
    manifests: [
      {
        mediaType: MEDIA.manifest,
        digest: manifestDigest,
        size: Buffer.byteLength(manifest),
        annotations: {
          "io.containerd.image.name": ref,
          "org.opencontainers.image.ref.name": ref.slice(ref.lastIndexOf(":") + 1),
        },
      },
    ],
  });
  return { config, manifest, index, configDigest, manifestDigest };
}

function sha256Text(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/** Pure: the library paths in `ldd` output (the vdso has none). */
export function lddLibraries(lddOutput: string): string[] {
  const libs: string[] = [];
  for (const line of lddOutput.split("\n")) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    const lib = arrow?.[1] ?? bare?.[1];
    if (lib) libs.push(lib);
  }
  return libs;
}

/** Packs `rootfs` into an OCI image-layout archive at `archive` (deterministic tar: sorted, owner 0, mtime 0). */
async function packImage(
  rootfs: string,
  ref: string,
  settings: ImageSettings,
  archive: string,
): Promise<void> {
  const work = path.dirname(rootfs);
  const layerTar = path.join(work, "layer.tar");
  execFileSync("tar", [
    "--sort=name",
    "--mtime=@0",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "-C",
    rootfs,
    "-cf",
    layerTar,
    ".",
  ]);
  const layer = { digest: await sha256File(layerTar), size: statSync(layerTar).size };
  const docs = ociDocuments(ref, layer, settings);
  const layout = path.join(work, "layout");
  const blobs = path.join(layout, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  renameSync(layerTar, path.join(blobs, layer.digest.slice("sha256:".length)));
  writeFileSync(path.join(blobs, docs.configDigest.slice("sha256:".length)), docs.config);
  writeFileSync(path.join(blobs, docs.manifestDigest.slice("sha256:".length)), docs.manifest);
  writeFileSync(path.join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(path.join(layout, "index.json"), docs.index);
  const partial = `${archive}.partial`;
  execFileSync("tar", [
    "--sort=name",
    "--mtime=@0",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "-C",
    layout,
    "-cf",
    partial,
    ".",
  ]);
  renameSync(partial, archive);
}

/** Builds (once) the node image: the pinned Node and its shared libraries, PATH set, `node` as the command. */
export async function nodeImage(): Promise<ImageArchive> {
  const version = pinnedNodeVersion();
  const ref = IMAGE_REFS.node(version);
  return cached(`node-${version}`, ref, (rootfs) => {
    const bin = path.join(rootfs, "usr/local/bin");
    mkdirSync(bin, { recursive: true });
    copyFileSync(PINNED_NODE, path.join(bin, "node"));
    chmodSync(path.join(bin, "node"), 0o755);
    for (const lib of lddLibraries(execFileSync("ldd", [PINNED_NODE], { encoding: "utf8" }))) {
      const target = path.join(rootfs, lib);
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(lib, target); // follows the symlink: the image gets the file under the name the loader asks for
      chmodSync(target, 0o755);
    }
    mkdirSync(path.join(rootfs, "etc"), { recursive: true });
    writeFileSync(
      path.join(rootfs, "etc/passwd"),
      "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
    );
    writeFileSync(path.join(rootfs, "etc/group"), "root:x:0:\nnonroot:x:65532:\n");
    mkdirSync(path.join(rootfs, "tmp"), { recursive: true });
    chmodSync(path.join(rootfs, "tmp"), 0o1777);
    return { env: ["PATH=/usr/local/bin:/usr/bin:/bin"], cmd: ["node"] };
  });
}

/** Builds (once per source) the pause image from pause.c with gcc -static. */
export async function pauseImage(): Promise<ImageArchive> {
  const source = path.join(import.meta.dirname, "pause.c");
  const digest = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, 12);
  return cached(`pause-${digest}`, IMAGE_REFS.pause, (rootfs) => {
    execFileSync("gcc", ["-static", "-Os", "-s", "-o", path.join(rootfs, "pause"), source]);
    return { env: ["PATH=/"], entrypoint: ["/pause"] };
  });
}

async function cached(
  key: string,
  ref: string,
  fill: (rootfs: string) => ImageSettings,
): Promise<ImageArchive> {
  const dir = imageCacheDir();
  const archive = path.join(dir, `${key}.oci.tar`);
  if (existsSync(archive)) return { ref, archive };
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(path.join(dir, `.build-${key}-`));
  try {
    const rootfs = path.join(work, "rootfs");
    mkdirSync(rootfs);
    const settings = fill(rootfs);
    await packImage(rootfs, ref, settings, archive);
    return { ref, archive };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
