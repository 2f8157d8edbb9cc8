import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openIdConfiguration, requestAuthority } from "./identity-server.ts";

void describe("identity endpoint discovery", () => {
  void it("answers with the address the caller dialled (a pod reaches it through the node's service proxy)", () => {
    const configured = "https://127.0.0.1:39317";
    const table: Array<[string | undefined, string]> = [
      ["127.0.0.1:39317", "https://127.0.0.1:39317"],
      ["10.244.0.1:39317", "https://10.244.0.1:39317"],
      ["localhost:39317", "https://localhost:39317"],
      ["[::1]:39317", "https://[::1]:39317"],
      [undefined, configured],
      ["evil.example/path", configured],
      ["a b", configured],
    ];
    for (const [host, expected] of table)
      assert.equal(requestAuthority(host, configured), expected, String(host));
    const doc = openIdConfiguration(requestAuthority("10.244.0.1:39317", configured), "tenant-1");
    assert.equal(doc.token_endpoint, "https://10.244.0.1:39317/tenant-1/oauth2/v2.0/token");
  });
});
