import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cgroupModeFrom, v1Hierarchies } from "./cgroups.ts";
import { closedRegistryHosts, containerdConfig, containerdLayout, hasSysResource } from "./containerd.ts";
import { lddLibraries, ociDocuments } from "./images.ts";
import { nodeNameFor } from "./index.ts";
import { kubeletArgs, kubeletConfig } from "./kubelet.ts";
import { cidrRange, cniConflist, conflictingRoutes, groundNetwork, hostNames } from "./network.ts";
import { formatRule, parseRule } from "./service-proxy.ts";
import { cniResultsOf, mountsUnder, socketPathsFor } from "./sweep.ts";

void describe("worker node: network", () => {
  void it("reads IPv4 CIDRs as address ranges", () => {
    const table: Array<[string, [number, number] | undefined]> = [
      ["10.244.0.0/24", [0x0af40000, 0x0af400ff]],
      ["10.244.0.7", [0x0af40007, 0x0af40007]],
      ["10.0.0.0/8", [0x0a000000, 0x0affffff]],
      ["10.244.0.9/24", [0x0af40000, 0x0af400ff]],
      ["fe80::/64", undefined],
      ["10.1.2/24", undefined],
      ["10.1.2.3/33", undefined],
    ];
    for (const [cidr, expected] of table) assert.deepEqual(cidrRange(cidr), expected, cidr);
  });

  void it("gives each ground network its own pod subnet, gateway and Service range", () => {
    assert.deepEqual(groundNetwork(0), {
      index: 0,
      podSubnet: "10.244.0.0/24",
      gatewayIp: "10.244.0.1",
      serviceSubnet: "10.96.0.0/24",
      kubernetesServiceIp: "10.96.0.1",
    });
    assert.equal(groundNetwork(7).podSubnet, "10.244.7.0/24");
    assert.equal(groundNetwork(7).kubernetesServiceIp, "10.96.7.1");
  });

  void it("finds host routes that overlap the pod network or the Service range, ignoring its own bridge", () => {
    const routes = [
      { dst: "default", dev: "eth0" },
      { dst: "192.0.2.0/24", dev: "eth0" },
      { dst: "10.244.0.0/24", dev: "kfbr-abc123" },
      { dst: "10.0.0.0/8", dev: "vpn0" },
      { dst: "10.96.0.128/25", dev: "docker0" },
      { dst: "10.97.0.0/24", dev: "other" },
    ];
    assert.deepEqual(conflictingRoutes(routes, groundNetwork(0), "kfbr-abc123"), [
      "10.0.0.0/8 dev vpn0",
      "10.96.0.128/25 dev docker0",
    ]);
  });

  void it("derives host-level names from the state directory, within Linux's 15-character interface names", () => {
    const a = hostNames("/work/a/.keyfleet/local");
    const b = hostNames("/tmp/kf-ground-x");
    assert.notEqual(a.bridge, b.bridge);
    assert.ok(a.bridge.length <= 15);
    assert.match(a.cgroupRoot, /^\/keyfleet-[0-9a-f]{6}$/);
    assert.deepEqual(hostNames("/work/a/.keyfleet/local"), a, "stable for the same folder");
  });

  void it("attaches pods to the bridge with a route to the Service range only: no default route, no masquerade, no forwarding", () => {
    const network = groundNetwork(2);
    const conf = cniConflist({ bridge: "kfbr-1", cniNetwork: "keyfleet-1" }, network, "/state/ipam") as {
      plugins: Array<
        Record<string, unknown> & { ipam: { routes: Array<{ dst: string; gw: string }>; dataDir: string } }
      >;
    };
    const bridge = conf.plugins[0]!;
    assert.equal(bridge.type, "bridge");
    assert.equal(bridge.isGateway, false, "the bridge plugin turns ip_forward on for gateways");
    assert.equal(bridge.isDefaultGateway, false);
    assert.equal(bridge.ipMasq, false);
    assert.deepEqual(bridge.ipam.routes, [{ dst: "10.96.2.0/24", gw: "10.244.2.1" }]);
    assert.equal(bridge.ipam.dataDir, "/state/ipam", "IPAM state stays in the ground's folder");
  });
});

void describe("worker node: containerd", () => {
  const layout = containerdLayout("/g/node", "/cache/cni");

  void it("keeps every containerd and runc location under the ground's folder", () => {
    const toml = containerdConfig(layout, { restrictOomScoreAdj: true, runc: "/cache/runc" });
    for (const line of [
      'root = "/g/node/containerd/root"',
      'state = "/g/node/containerd/state"',
      'address = "/g/node/containerd/state/c.sock"',
      'Root = "/g/node/containerd/runc"',
      'BinaryName = "/cache/runc"',
      "netns_mounts_under_state_dir = true",
      "restrict_oom_score_adj = true",
      'sandbox = "keyfleet.local/pause:1.0"',
      'conf_dir = "/g/node/cni/net.d"',
    ])
      assert.ok(toml.includes(line), line);
    assert.ok(layout.socket.length < 100, "unix socket paths are limited to 107 bytes");
    assert.ok(
      containerdConfig(layout, { restrictOomScoreAdj: false, runc: "/r" }).includes(
        "restrict_oom_score_adj = false",
      ),
    );
  });

  void it("routes every registry to a closed loopback port", () => {
    assert.match(closedRegistryHosts(), /^server = "https:\/\/127\.0\.0\.1:1"$/m);
  });

  void it("reads CAP_SYS_RESOURCE from the effective capability set", () => {
    assert.equal(
      hasSysResource("Name:\tx\nCapEff:\t000001fffeffffff\n"),
      false,
      "bit 24 clear (this sandbox)",
    );
    assert.equal(hasSysResource("CapEff:\t000001ffffffffff\n"), true);
    assert.equal(hasSysResource("no caps line"), false);
  });
});

void describe("worker node: kubelet", () => {
  const layout = {
    rootDir: "/g/node/kubelet/root",
    podLogsDir: "/g/node/pod-logs",
    certDir: "/g/node/kubelet/pki",
    resolvConf: "/g/node/kubelet/resolv.conf",
    configFile: "/g/node/kubelet/config.json",
    kubeconfig: "/g/node/kubelet/kubelet.kubeconfig",
    port: 20250,
    healthzPort: 20248,
    containerdSocket: "/g/node/containerd/state/c.sock",
  };

  void it("tolerates cgroup v1 only where the machine has nothing else, and always uses the ground's cgroup root", () => {
    const v1 = kubeletConfig(
      layout,
      { cgroupMode: "v1", cgroupRoot: "/keyfleet-abc", network: groundNetwork(0) },
      { caFile: "/ca" },
    ) as Record<string, unknown>;
    const v2 = kubeletConfig(
      layout,
      { cgroupMode: "v2", cgroupRoot: "/keyfleet-abc", network: groundNetwork(0) },
      { caFile: "/ca" },
    ) as Record<string, unknown>;
    assert.equal(v1.failCgroupV1, false);
    assert.equal(v2.failCgroupV1, true);
    assert.equal(v1.cgroupRoot, "/keyfleet-abc");
    assert.equal(v1.cgroupDriver, "cgroupfs");
  });

  void it("serves on the bridge address, keeps health on loopback, writes nothing to default host folders and resolves nothing", () => {
    const config = kubeletConfig(
      layout,
      { cgroupMode: "v2", cgroupRoot: "/k", network: groundNetwork(1) },
      { caFile: "/ca" },
    ) as Record<string, unknown>;
    assert.equal(config.address, "10.244.1.1");
    assert.equal(config.healthzBindAddress, "127.0.0.1");
    assert.equal(config.readOnlyPort, 0);
    assert.equal(config.podLogsDir, "/g/node/pod-logs");
    assert.equal(config.resolvConf, "/g/node/kubelet/resolv.conf");
    assert.equal(config.makeIPTablesUtilChains, false);
    assert.deepEqual((config.authentication as { anonymous: unknown }).anonymous, { enabled: false });
    const args = kubeletArgs(layout, "vm", "10.244.1.1");
    assert.ok(args.includes("--root-dir=/g/node/kubelet/root"));
    assert.ok(args.includes("--node-ip=10.244.1.1"));
    assert.ok(args.includes("--hostname-override=vm"));
  });

  void it("names the node after the machine only when /etc/hosts maps that name to loopback", () => {
    const hosts = "127.0.0.1 localhost\n127.0.0.1 runsc\n127.0.0.1 vm # this machine\n";
    assert.equal(nodeNameFor("vm", hosts), "vm");
    assert.equal(nodeNameFor("VM", hosts), "vm");
    assert.equal(nodeNameFor("build-7", hosts), "keyfleet-node", "a name only DNS could resolve is not used");
    assert.equal(nodeNameFor("vm", "10.0.0.5 vm\n"), "keyfleet-node");
    assert.equal(nodeNameFor("host_name", "127.0.0.1 host_name\n"), "keyfleet-node", "not a DNS label");
  });
});

void describe("worker node: images, service proxy, sweep", () => {
  void it("lists the shared libraries ldd names, including the loader, without the vdso", () => {
    const out = [
      "\tlinux-vdso.so.1 (0x00007ffd)",
      "\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f28)",
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f28)",
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f28)",
    ].join("\n");
    assert.deepEqual(lddLibraries(out), [
      "/lib/x86_64-linux-gnu/libdl.so.2",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
  });

  void it("writes a one-layer OCI image whose documents point at each other by digest", () => {
    const layer = { digest: `sha256:${"a".repeat(64)}`, size: 1234 };
    const docs = ociDocuments("keyfleet.local/node:26.10.0", layer, {
      env: ["PATH=/usr/local/bin"],
      cmd: ["node"],
    });
    const config = JSON.parse(docs.config) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } };
    const manifest = JSON.parse(docs.manifest) as {
      config: { digest: string };
      layers: Array<{ digest: string; size: number }>;
    };
    const index = JSON.parse(docs.index) as {
      manifests: Array<{ digest: string; annotations: Record<string, string> }>;
    };
    assert.deepEqual(config.rootfs.diff_ids, [layer.digest]);
    assert.deepEqual(config.config.Cmd, ["node"]);
    assert.equal(manifest.config.digest, docs.configDigest);
    assert.deepEqual(manifest.layers, [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }]);
    assert.equal(index.manifests[0]!.digest, docs.manifestDigest);
    assert.equal(index.manifests[0]!.annotations["io.containerd.image.name"], "keyfleet.local/node:26.10.0");
    assert.equal(index.manifests[0]!.annotations["org.opencontainers.image.ref.name"], "26.10.0");
  });

  void it("parses and prints forwarding rules, refusing anything but IPv4 listeners", () => {
    const rule = parseRule("10.96.0.1:443=39811");
    assert.deepEqual(rule, { listenHost: "10.96.0.1", listenPort: 443, targetPort: 39811 });
    assert.equal(formatRule(rule), "10.96.0.1:443=39811");
    assert.throws(() => parseRule("localhost:443=1"), /expected <ipv4>:<port>=<loopback port>/);
  });

  void it("finds a ground's mounts deepest first, decoding mountinfo's octal escapes", () => {
    const info = [
      "30 25 0:27 / /g/node/kubelet/root rw shared:1 - ext4 /dev/vda rw",
      "31 30 0:28 / /g/node/kubelet/root/pods/u1/volumes/kubernetes.io~projected/kube-api-access-x rw - tmpfs tmpfs rw",
      "32 25 0:29 / /g/node/containerd/state/netns/cni-1 rw - nsfs nsfs rw",
      "33 25 0:30 / /g/node2/other rw - tmpfs tmpfs rw",
      "34 25 0:31 / /g/node/with\\040space rw - tmpfs tmpfs rw",
    ].join("\n");
    assert.deepEqual(mountsUnder(info, "/g/node"), [
      "/g/node/kubelet/root/pods/u1/volumes/kubernetes.io~projected/kube-api-access-x",
      "/g/node/containerd/state/netns/cni-1",
      "/g/node/kubelet/root",
      "/g/node/with space",
    ]);
  });

  void it("maps socket inodes to the shim socket paths they hold", () => {
    const unix = [
      "Num       RefCount Protocol Flags    Type St Inode Path",
      "0000: 00000002 00000000 00010000 0001 01 4711 /run/containerd/s/abc",
      "0000: 00000002 00000000 00010000 0001 01 4712 /run/containerd/s/def",
      "0000: 00000002 00000000 00010000 0001 01 4713 /run/other.sock",
    ].join("\n");
    assert.deepEqual(socketPathsFor(unix, new Set(["4711", "4713"]), "/run/containerd/s"), [
      "/run/containerd/s/abc",
    ]);
  });

  void it("removes only the CNI results of its own network and of its own sandboxes' loopback", () => {
    const ours = "a".repeat(64);
    const theirs = "b".repeat(64);
    const files = [
      `keyfleet-abc123-${ours}-eth0`,
      `cni-loopback-${ours}-lo`,
      `cni-loopback-${theirs}-lo`,
      `other-net-${theirs}-eth0`,
    ];
    assert.deepEqual(cniResultsOf(files, "keyfleet-abc123", new Set([ours])), [
      `keyfleet-abc123-${ours}-eth0`,
      `cni-loopback-${ours}-lo`,
    ]);
  });

  void it("tells cgroup v2 from v1 and lists v1 hierarchies", () => {
    assert.equal(cgroupModeFrom("cpuset cpu io memory pids\n"), "v2");
    assert.equal(cgroupModeFrom(""), "v1", "hybrid: unified hierarchy without controllers");
    assert.equal(cgroupModeFrom(undefined), "v1");
    const mounts =
      "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\ntmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n";
    assert.deepEqual(v1Hierarchies(mounts), ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/memory"]);
  });
});
