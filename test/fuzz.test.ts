// tiers: mock
/**
 * The shutdown-and-misuse fuzzer's CI run (the reliability issue's fuzzer; the
 * engine is in `test/fuzz/`): a fixed set of seeds, each a seeded random sequence
 * of operations on producers, consumers, admin clients and a mock cluster of 2 or
 * 3 brokers, run in a child process of this runtime with every invariant checked
 * after every step (see `test/fuzz/invariants.ts` and `test/fuzz/ledger.ts`). A
 * failing seed prints the end of its operation sequence, the violations, and the
 * command that replays it.
 *
 *   bun test --timeout 600000 test/fuzz.test.ts
 *   deno test -A --v8-flags=--expose-gc test/fuzz.test.ts
 *
 * Operations that hit a known bug are left out (`knownBugs()` in run.ts, each
 * with its reproduction in the fuzzer's report); remove an entry once fixed.
 *
 * A long run by hand: `bun test/fuzz/run.ts --seeds 1..200 --steps 400 --known-bugs` (see run.ts).
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { librdkafkaVersion } from "../src/mod.ts";
import { knownBugs, runSeeds } from "./fuzz/run.ts";
import { runtime } from "./helpers/runtime.ts";

/** Seeds and steps: 5-12 s a seed on the shared 2-core machine, about 30-45 s a runtime. */
const SEEDS = [1, 2, 3, 4];
const STEPS = 100;

describe(`fuzz: ${SEEDS.length} seeds × ${STEPS} steps on ${runtime}, librdkafka ${librdkafkaVersion()}`, () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: no crash, every promise settles in its bound, nothing lost or leaked`, async () => {
      const [r] = await runSeeds({ seeds: [seed], steps: STEPS, exclude: knownBugs() });
      assert.ok(
        r.ok,
        `seed ${seed}: ${r.outcome} after ${(r.ms / 1000).toFixed(1)} s\n${r.excerpt}\n\nreplay: ${r.replay}`,
      );
    });
  }
});
