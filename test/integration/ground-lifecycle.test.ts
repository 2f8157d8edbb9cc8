/**
 * The proving ground's own lifecycle: a private ground (own state directory and env file) never touches the shared
 * one, and a ground whose description was lost is still stopped — by the next start in the same state directory —
 * instead of leaving orphaned servers behind.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { localEnvPath, readLocalEnvironment } from "../../scripts/local/env.ts";
import { startProvingGround } from "../../scripts/local/ground.ts";
import { isAlive } from "../../scripts/local/processes.ts";
import { Progress } from "../../scripts/local/progress.ts";

void describe("proving ground lifecycle", () => {
  void it("stops the servers of a ground whose env file was lost before reusing its state directory", async () => {
    const shared = readLocalEnvironment(localEnvPath());
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "kf-ground-"));
    const progress = new Progress("ground-test");
    const first = await startProvingGround({ stateDir, reuse: false, progress });
    try {
      assert.equal(first.env.stateDir, stateDir);
      assert.ok(existsSync(path.join(stateDir, "env.json")), "a private ground writes its own env file");
      assert.equal(
        readLocalEnvironment(localEnvPath()).startedAt,
        shared.startedAt,
        "the shared one is untouched",
      );
      const firstPids = first.env.processes.map((p) => p.pid);
      rmSync(path.join(stateDir, "env.json"));
      const second = await startProvingGround({ stateDir, progress });
      try {
        assert.deepEqual(
          firstPids.filter((pid) => isAlive(pid)),
          [],
          "the lost ground's processes were stopped",
        );
        assert.ok(second.startedHere);
        assert.notEqual(second.env.kubernetes.apiServerUrl, "");
      } finally {
        await second.stop();
      }
      assert.deepEqual(
        second.env.processes.map((p) => p.pid).filter((pid) => isAlive(pid)),
        [],
      );
    } finally {
      await first.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
