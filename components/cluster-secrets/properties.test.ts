import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { identityGroups, identityKeyOf } from "./properties.ts";

const ns = (name: string, ...objectTypes: Array<string | undefined>) => ({
  name,
  secrets: [{ objects: objectTypes.map((objectType) => ({ objectType })) }],
});

describe("identityGroups", () => {
  const table: Array<{
    name: string;
    scope: "cluster" | "namespace";
    namespaces: ReturnType<typeof ns>[];
    expected: Array<[key: string, resourceName: string, namespaces: string[], roles: string[]]>;
  }> = [
    {
      name: "one identity for the cluster, Secrets User only for secrets",
      scope: "cluster",
      namespaces: [ns("a", "secret"), ns("b", undefined)],
      expected: [["cluster", "c1-wi", ["a", "b"], ["secrets-user"]]],
    },
    {
      name: "a certificate anywhere on the cluster adds Reader to the cluster identity",
      scope: "cluster",
      namespaces: [ns("a", "secret"), ns("b", "cert")],
      expected: [["cluster", "c1-wi", ["a", "b"], ["secrets-user", "reader"]]],
    },
    {
      name: "one identity per namespace, roles per namespace",
      scope: "namespace",
      namespaces: [ns("team-a", "secret"), ns("Team_B", "key")],
      expected: [
        ["team-a", "c1-wi-team-a", ["team-a"], ["secrets-user"]],
        ["Team_B", "c1-wi-team-b", ["Team_B"], ["secrets-user", "reader"]],
      ],
    },
    {
      name: "no namespaces: the cluster identity alone",
      scope: "cluster",
      namespaces: [],
      expected: [["cluster", "c1-wi", [], ["secrets-user"]]],
    },
    { name: "no namespaces, per-namespace scope: none", scope: "namespace", namespaces: [], expected: [] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const groups = identityGroups("c1", row.scope, row.namespaces);
      assert.deepEqual(
        groups.map((g) => [g.key, g.resourceName, g.namespaces.map((n) => n.name), g.roles]),
        row.expected,
      );
    });
  }
});

describe("identityKeyOf", () => {
  it("names the namespace's own identity, else the cluster's", () => {
    const perNamespace = identityGroups("c1", "namespace", [ns("a", "secret")]);
    const perCluster = identityGroups("c1", "cluster", [ns("a", "secret")]);
    assert.equal(identityKeyOf(perNamespace, "a"), "a");
    assert.equal(identityKeyOf(perCluster, "a"), "cluster");
  });
});
