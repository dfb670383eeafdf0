// tiers: kafka
/**
 * Exactly-once, the hard way: `examples/exactly-once.ts` runs as the processor of
 * an input topic in a child process, is killed with SIGKILL mid-stream several
 * times (between a send and its commit, or in the middle of a commit: wherever the
 * signal lands) and started again with the same `transactional.id`; then the output
 * topic, read as `read_committed`, must hold every input record exactly once, in
 * order per key. Real broker only: librdkafka's mock cluster keeps no transaction
 * state, so nothing there could hold the guarantee (see test/transactions.test.ts).
 *
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun test test/exactly_once.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { Consumer, OFFSET, Producer } from "../src/mod.ts";
import { clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { uuid } from "./helpers/consume.ts";
import { runtime, sleep } from "./helpers/runtime.ts";

const KEYS = 8;
const PER_KEY = 40;
const PARTITIONS = 3;
const KILLS = 4;

/** Starts the processor; its output is kept for the failure message. */
function startProcessor(env: Record<string, string>, log: string[]): ChildProcess {
  const file = new URL("../examples/exactly-once.ts", import.meta.url).pathname;
  const args = runtime === "bun" ? [file] : ["run", "-A", file];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  child.stdout!.on("data", (d) => log.push(String(d).trim()));
  child.stderr!.on("data", (d) => log.push(String(d).trim()));
  return child;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

describe(`exactly-once through SIGKILL (${clusterLabel()})`, () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await testCluster();
  });

  after(async () => {
    await cluster?.close();
  });

  it(`${KEYS * PER_KEY} records, the processor killed ${KILLS} times: the output holds each once, in order per key`, async () => {
    const input = `eos-in-${uuid()}`;
    const output = `eos-out-${uuid()}`;
    await cluster.createTopic(input, { partitions: PARTITIONS });
    await cluster.createTopic(output, { partitions: PARTITIONS });
    const bootstrap = cluster.bootstrapServers;
    {
      await using feeder = new Producer({ "bootstrap.servers": bootstrap, "enable.idempotence": true });
      const msgs = [];
      for (let n = 0; n < PER_KEY; n++) {
        for (let k = 0; k < KEYS; k++) msgs.push({ topic: input, key: `key${k}`, value: `key${k} ${n}` });
      }
      const res = await feeder.sendMulti(msgs);
      assert.equal(res.filter((r) => r.status === "fulfilled").length, msgs.length);
    }

    const env = {
      KAFKA_BOOTSTRAP: bootstrap,
      EOS_INPUT: input,
      EOS_OUTPUT: output,
      EOS_GROUP: `eos-${uuid()}`,
      EOS_TXN_ID: `eos-${uuid()}`,
      EOS_BATCH: "7",
      EOS_PAUSE_MS: "30",
    };
    const total = KEYS * PER_KEY;
    const log: string[] = [];

    // What a read_committed consumer of the output sees, read as it grows.
    await using reader = new Consumer({ "bootstrap.servers": bootstrap, "isolation.level": "read_committed" });
    await reader.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({
      topic: output,
      partition,
      offset: OFFSET.BEGINNING,
    })));
    const seen: string[] = [];
    const readAvailable = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        for (const m of await reader.readBatch({ maxMessages: 1000, timeoutMs: 200 })) seen.push(m.text()!);
      }
    };

    // Each run is killed once it committed something new (or after 20 s), at a varying moment.
    for (let kill = 0; kill < KILLS; kill++) {
      const child = startProcessor(env, log);
      const before = seen.length;
      const until = Date.now() + 20_000;
      while (seen.length === before && Date.now() < until) await readAvailable(200);
      await sleep(50 + 120 * kill);
      await killed(child);
      log.push(`--- killed run ${kill + 1} after ${seen.length} output records`);
      assert.ok(seen.length < total, `run ${kill + 1} finished everything before its kill: slow the processor down`);
    }
    const last = startProcessor(env, log);
    try {
      const until = Date.now() + 90_000;
      while (seen.length < total && Date.now() < until) await readAvailable(500);
      await readAvailable(1_500); // duplicates would arrive now
    } finally {
      await killed(last);
    }

    const detail = () => `\n${log.join("\n").slice(-3000)}`;
    assert.equal(seen.length, total, `output records (duplicates or losses)${detail()}`);
    assert.equal(new Set(seen).size, total, `each input once${detail()}`);
    for (let k = 0; k < KEYS; k++) {
      const ns = seen.filter((s) => s.startsWith(`KEY${k} `)).map((s) => Number(s.split(" ")[1]));
      assert.deepEqual(ns, Array.from({ length: PER_KEY }, (_, i) => i), `key${k} in order${detail()}`);
    }
  });
});
