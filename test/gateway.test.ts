// tiers: mock kafka
/**
 * The ingestion gateway (examples/gateway.ts), served in this process by the
 * runtime's own server and driven over loopback with fetch: every route's answers,
 * what reached the topic (every 202 exactly once, nothing for a refused request),
 * the SSE stream's start, events and disconnect, /healthz, /metrics, 503s with
 * Retry-After when the queue is full or no broker answers, and shutdown. The first
 * line makes scripts/test.sh run it on the mock and on the real broker.
 *
 *   bun test --timeout 120000 test/gateway.test.ts
 *   deno test -A --v8-flags=--expose-gc test/gateway.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { currentLimits } from "../src/mod.ts";
import { type Gateway, type GatewayOptions, startGateway } from "../examples/gateway.ts";
import { clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { http, parseMetrics, SseReader } from "./helpers/http.ts";
import { readBack, text } from "./helpers/readback.ts";
import { eventually, sleep } from "./helpers/runtime.ts";

const quiet = () => {};
/** A port nothing listens on: every connection is refused at once. */
const DEAD = "127.0.0.1:1";

describe(`gateway (${clusterLabel()})`, () => {
  let cluster: TestCluster;
  let gw: Gateway;
  const topics: string[] = [];
  const newTopic = async (partitions: number) => {
    const t = `gw-${crypto.randomUUID().slice(0, 8)}`;
    await cluster.createTopic(t, { partitions });
    topics.push(t);
    return t;
  };
  const start = (o: Partial<GatewayOptions> = {}) =>
    startGateway({ bootstrap: cluster.bootstrapServers, port: 0, log: quiet, ...o });

  before(async () => {
    cluster = await testCluster();
    gw = start();
  });
  after(async () => {
    await gw.close();
    await cluster.close();
  });

  it("POST /topics/:topic: 202 with partition and offset after delivery; key, headers and body reach the topic", async () => {
    const topic = await newTopic(3);
    const r = await http(`${gw.url}/topics/${topic}?key=user-7`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-kafka-header-trace": "abc" },
      body: JSON.stringify({ n: 1 }),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.status, "delivered");
    const again = await http(`${gw.url}/topics/${topic}`, {
      method: "POST",
      headers: { "x-kafka-key": "user-7" },
      body: new Uint8Array([0, 255, 1]),
    });
    assert.equal(again.status, 202);
    assert.equal(again.body.partition, r.body.partition, "the same key lands on the same partition");
    assert.equal(BigInt(again.body.offset), BigInt(r.body.offset) + 1n);

    const got = await readBack(cluster.bootstrapServers, topic, { partitions: [r.body.partition], count: 2 });
    assert.equal(text(got[0].value), '{"n":1}');
    assert.equal(text(got[0].key), "user-7");
    assert.deepEqual(got[0].headers.map(([k, v]) => [k, text(v)]), [["trace", "abc"]]);
    assert.equal(got[0].offset, BigInt(r.body.offset));
    assert.deepEqual([...got[1].value!], [0, 255, 1]);
  });

  it("?async=1 answers 202 queued once accepted; the message is delivered", async () => {
    const topic = await newTopic(1);
    const r = await http(`${gw.url}/topics/${topic}?async=1`, { method: "POST", body: "later" });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { status: "queued" });
    const [m] = await readBack(cluster.bootstrapServers, topic, { partitions: [0], count: 1 });
    assert.equal(text(m.value), "later");
  });

  it("bad input: a clear 4xx naming the problem, the server keeps serving, and nothing refused reaches the topic", async () => {
    const topic = await newTopic(1);
    const post = (path: string, init: RequestInit = {}) => http(`${gw.url}${path}`, { method: "POST", ...init });
    const cases: [string, Promise<{ status: number; body: { error: string } }>, number, string][] = [
      ["topic with a space", post("/topics/bad%20name", { body: "x" }), 400, "invalid_topic"],
      ["topic of 250 chars", post(`/topics/${"a".repeat(250)}`, { body: "x" }), 400, "invalid_topic"],
      ["malformed %-encoding", post("/topics/%E0%A4%A", { body: "x" }), 400, "invalid_topic"],
      [
        "invalid JSON",
        post(`/topics/${topic}`, { headers: { "content-type": "application/json" }, body: "{no" }),
        400,
        "invalid_json",
      ],
      ["partition not a number", post(`/topics/${topic}?partition=x`, { body: "x" }), 400, "invalid_partition"],
      ["partition that does not exist", post(`/topics/${topic}?partition=7`, { body: "x" }), 400, "_UNKNOWN_PARTITION"],
      [
        "declared body over the cap",
        post(`/topics/${topic}`, { body: new Uint8Array(1_000_001) }),
        413,
        "body_too_large",
      ],
      ["unknown path", post("/nope", { body: "x" }), 404, "not_found"],
      ["GET on a produce route", http(`${gw.url}/topics/${topic}`), 405, "method_not_allowed"],
    ];
    for (const [what, p, status, error] of cases) {
      const r = await p;
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, error, what);
    }
    // A chunked body (no Content-Length) is cut off at the cap too.
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(100_000));
        c.close();
      },
    });
    const big = await post(`/topics/${topic}`, { body: chunked, duplex: "half" } as RequestInit);
    assert.equal(big.status, 413);
    const ok = await post(`/topics/${topic}`, { body: "the only one" });
    assert.equal(ok.status, 202, "still serving after bad input");
    assert.equal(ok.body.offset, "0", "no refused request produced a message");
    await readBack(cluster.bootstrapServers, topic, { partitions: [0], count: 1, quietMs: 500 });
  });

  it("POST /batch: one sendMulti; results per message in order; a bad element refuses the whole batch", async () => {
    const topic = await newTopic(2);
    const r = await http(`${gw.url}/topics/${topic}/batch`, {
      method: "POST",
      body: JSON.stringify([
        { value: "a", partition: 0 },
        { value: { n: 2 }, key: "k", partition: 1, headers: { h: "v" } },
        { value: null, partition: 0 },
      ]),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.count, 3);
    assert.deepEqual(r.body.results.map((x: { partition: number }) => x.partition), [0, 1, 0]);
    const p0 = await readBack(cluster.bootstrapServers, topic, { partitions: [0], count: 2 });
    assert.deepEqual(p0.map((m) => text(m.value)), ["a", null]);
    const [p1] = await readBack(cluster.bootstrapServers, topic, { partitions: [1], count: 1 });
    assert.equal(text(p1.value), '{"n":2}');
    assert.equal(text(p1.key), "k");

    for (
      const [body, message] of [
        ['[{"value":"x"},{"value":"y","key":5}]', /\[1\]\.key must be a string/],
        ['[{"value":"x"},{"key":"k"}]', /\[1\]\.value is missing/],
        ['[{"value":"x","partitoin":1}]', /\[0\]\.partitoin: unknown field/],
        ['{"value":"x"}', /must be a JSON array/],
      ] as const
    ) {
      const bad = await http(`${gw.url}/topics/${topic}/batch`, { method: "POST", body });
      assert.equal(bad.status, 400, body);
      assert.match(bad.body.message, message);
    }
    const mixed = await http(`${gw.url}/topics/${topic}/batch`, {
      method: "POST",
      body: JSON.stringify([{ value: "ok", partition: 1 }, { value: "no", partition: 9 }]),
    });
    assert.equal(mixed.status, 207, JSON.stringify(mixed.body));
    assert.equal(mixed.body.failed, 1);
    assert.equal(mixed.body.results[1].error, "_UNKNOWN_PARTITION");
    assert.equal(mixed.body.results[0].offset, "1", "the refused batches above produced nothing");
  });

  it("GET /stream: ready, then every message produced after it, as SSE; a disconnect closes its consumer", async () => {
    const topic = await newTopic(2);
    await http(`${gw.url}/topics/${topic}?partition=0`, { method: "POST", body: "before" });
    const clients = currentLimits().openClients;
    const sse = await SseReader.open(`${gw.url}/topics/${topic}/stream`);
    assert.equal(sse.status, 200);
    assert.equal(sse.contentType, "text/event-stream");
    const ready = await sse.next(10_000);
    assert.equal(ready.event, "ready");
    assert.deepEqual(JSON.parse(ready.data), [{ partition: 0, offset: "1" }, { partition: 1, offset: "0" }]);
    assert.equal(currentLimits().openClients, clients + 1, "one consumer for the stream");
    for (const [p, v] of [[0, "one"], [1, "two"], [0, "three"]]) {
      await http(`${gw.url}/topics/${topic}?partition=${p}&key=k${v}`, { method: "POST", body: String(v) });
    }
    const seen: Record<string, string> = {};
    let lastId = "";
    for (let i = 0; i < 3; i++) {
      const ev = await sse.next(10_000);
      assert.equal(ev.event, "message");
      const d = JSON.parse(ev.data);
      assert.equal(d.key, `k${d.value}`);
      seen[`${d.partition}:${d.offset}`] = d.value;
      lastId = ev.id!;
    }
    assert.deepEqual(seen, { "0:1": "one", "1:0": "two", "0:2": "three" }, "not the message from before the stream");
    assert.equal(lastId, "0:3,1:1", "the id is the position after the event, every partition");
    const m = parseMetrics((await http(`${gw.url}/metrics`)).body);
    assert.equal(m.get("kafka_gateway_sse_streams"), 1);

    sse.close();
    await eventually(() => {
      assert.equal(currentLimits().openClients, clients, "the stream's consumer is closed after the disconnect");
      return Promise.resolve();
    }, 10_000);
    assert.equal(parseMetrics((await http(`${gw.url}/metrics`)).body).get("kafka_gateway_sse_streams"), 0);

    const old = await SseReader.open(`${gw.url}/topics/${topic}/stream?from=beginning`);
    assert.equal((await old.next(10_000)).event, "ready");
    const values = new Set<string>();
    for (let i = 0; i < 4; i++) values.add(JSON.parse((await old.next(10_000)).data).value);
    assert.deepEqual([...values].sort(), ["before", "one", "three", "two"]);
    old.close();
  });

  it("GET /stream with Last-Event-ID: resumes exactly after that event, nothing lost or repeated; bad ids refused", async () => {
    const topic = await newTopic(2);
    for (const [p, v] of [[0, "a"], [0, "b"], [1, "c"], [1, "d"]]) {
      await http(`${gw.url}/topics/${topic}?partition=${p}`, { method: "POST", body: String(v) });
    }
    const first = await SseReader.open(`${gw.url}/topics/${topic}/stream?from=beginning`);
    const ready = await first.next(10_000);
    assert.deepEqual(JSON.parse(ready.data), [{ partition: 0, offset: "0" }, { partition: 1, offset: "0" }]);
    const events = [];
    for (let i = 0; i < 4; i++) events.push(await first.next(10_000));
    first.close();
    // Resume after the second event: the other two (whatever their partitions) come, then new ones.
    const resumed = await SseReader.open(`${gw.url}/topics/${topic}/stream`, { "last-event-id": events[1].id! });
    assert.equal((await resumed.next(10_000)).event, "ready");
    await http(`${gw.url}/topics/${topic}?partition=0`, { method: "POST", body: "e" });
    const after = [];
    for (let i = 0; i < 3; i++) after.push(JSON.parse((await resumed.next(10_000)).data).value);
    const expected = [...events.slice(2).map((e) => JSON.parse(e.data).value), "e"];
    assert.deepEqual(after.sort(), expected.sort());
    await assert.rejects(resumed.next(700), /no SSE event/, "nothing twice");
    resumed.close();

    for (const id of ["garbage", "0:1,0:2", "0:x"]) {
      const bad = await http(`${gw.url}/topics/${topic}/stream`, { headers: { "last-event-id": id } });
      assert.equal(bad.status, 400, id);
      assert.equal(bad.body.error, "invalid_last_event_id");
    }
    const gone = await http(`${gw.url}/topics/${topic}/stream?lastEventId=7:0`);
    assert.equal(gone.status, 400);
    assert.match(gone.body.message, /partition 7/);
  });

  it("GET /stream: capped (503 + Retry-After past maxStreams); 404 for a topic that does not exist; heartbeats", async () => {
    const topic = await newTopic(1);
    const small = start({ maxStreams: 1, heartbeatMs: 200 });
    try {
      const a = await SseReader.open(`${small.url}/topics/${topic}/stream`);
      assert.equal((await a.next(10_000)).event, "ready");
      const b = await http(`${small.url}/topics/${topic}/stream`);
      assert.equal(b.status, 503);
      assert.equal(b.body.error, "too_many_streams");
      assert.ok(Number(b.headers.get("retry-after")) > 0);
      await sleep(700);
      await http(`${small.url}/topics/${topic}`, { method: "POST", body: "after heartbeats" });
      assert.equal(JSON.parse((await a.next(10_000)).data).value, "after heartbeats");
      assert.ok(a.heartbeats >= 2, `heartbeats: ${a.heartbeats}`);
      a.close();
      const open = async () => parseMetrics((await http(`${small.url}/metrics`)).body).get("kafka_gateway_sse_streams");
      await eventually(
        async () => assert.equal(await open(), 0, "the slot is free again after the disconnect"),
        10_000,
      );
      if (cluster.kind === "kafka") {
        const missing = await http(`${small.url}/topics/no-such-topic-${crypto.randomUUID().slice(0, 8)}/stream`);
        assert.equal(missing.status, 404, JSON.stringify(missing.body));
      }
    } finally {
      await small.close();
    }
  });

  it("GET /healthz and /metrics: reachability, and counts that match the requests made", async () => {
    const fresh = start();
    try {
      const topic = await newTopic(1);
      const h = await http(`${fresh.url}/healthz`);
      assert.equal(h.status, 200, JSON.stringify(h.body));
      assert.equal(h.body.status, "ok");
      assert.ok(h.body.brokers >= 1);
      for (let i = 0; i < 5; i++) await http(`${fresh.url}/topics/${topic}`, { method: "POST", body: `m${i}` });
      await http(`${fresh.url}/topics/${topic}/batch`, { method: "POST", body: '[{"value":1},{"value":2}]' });
      await http(`${fresh.url}/topics/bad%20topic`, { method: "POST", body: "x" });
      const res = await fetch(`${fresh.url}/metrics`);
      assert.match(res.headers.get("content-type")!, /^text\/plain/);
      const m = parseMetrics(await res.text());
      assert.equal(m.get('kafka_gateway_requests_total{route="produce",code="202"}'), 5);
      assert.equal(m.get('kafka_gateway_requests_total{route="batch",code="202"}'), 1);
      assert.equal(m.get('kafka_gateway_requests_total{route="invalid",code="400"}'), 1);
      assert.equal(m.get('kafka_gateway_messages_total{outcome="delivered"}'), 7);
      assert.equal(m.get("kafka_gateway_produce_latency_seconds_count"), 7);
      assert.equal(m.get('kafka_gateway_produce_latency_seconds_bucket{le="+Inf"}'), 7);
      assert.equal(m.get("kafka_gateway_producer_queue_depth"), 0);
      assert.equal(m.get("kafka_gateway_brokers_up"), 1);
      assert.equal(m.get("kafka_gateway_native_held_bytes"), currentLimits().heldBytes);
      assert.equal(m.get("kafka_gateway_open_clients"), currentLimits().openClients);
    } finally {
      await fresh.close();
    }
  });

  it("a full local queue: 503 with Retry-After, nothing accepted, the accepted one delivered", async () => {
    const topic = await newTopic(1);
    // A queue of one message that lingers for a second: the second send finds it full.
    const tiny = start({ producerConfig: { "queue.buffering.max.messages": 1, "linger.ms": 1_000 } });
    try {
      const first = await http(`${tiny.url}/topics/${topic}?async=1`, { method: "POST", body: "first" });
      assert.equal(first.status, 202);
      const second = await http(`${tiny.url}/topics/${topic}?async=1`, { method: "POST", body: "second" });
      assert.equal(second.status, 503, JSON.stringify(second.body));
      assert.equal(second.body.error, "_QUEUE_FULL");
      assert.equal(second.headers.get("retry-after"), "1");
      const got = await readBack(cluster.bootstrapServers, topic, { partitions: [0], count: 1, quietMs: 1_500 });
      assert.equal(text(got[0].value), "first");
    } finally {
      await tiny.close();
    }
  });

  it("no broker reachable: /healthz 503 within its timeout, produces 503 + Retry-After, and a queued 202 that then fails is counted", async () => {
    const down = startGateway({
      bootstrap: DEAD,
      port: 0,
      log: quiet,
      ackTimeoutMs: 300,
      producerConfig: { "message.timeout.ms": 2_000 },
    });
    try {
      const t0 = Date.now();
      const h = await http(`${down.url}/healthz`);
      assert.equal(h.status, 503);
      assert.equal(h.body.status, "unavailable");
      assert.ok(Date.now() - t0 < 4_000, `healthz took ${Date.now() - t0} ms`);
      // librdkafka reports _ALL_BROKERS_DOWN within a moment; until then a send is
      // accepted and, with no report in ackTimeoutMs, answered 202 queued.
      const answers: { status: number; error?: string; retry: string | null }[] = [];
      for (let i = 0; i < 100; i++) {
        const r = await http(`${down.url}/topics/t?async=1`, { method: "POST", body: "x" });
        answers.push({ status: r.status, error: r.body.error, retry: r.headers.get("retry-after") });
        if (r.status === 503) break;
        await sleep(50);
      }
      const last = answers.at(-1)!;
      assert.equal(last.status, 503, JSON.stringify(answers));
      assert.equal(last.error, "brokers_down");
      assert.ok(Number(last.retry) > 0);
      const queued = answers.filter((a) => a.status === 202).length;
      assert.equal(queued, answers.length - 1, "before the 503s, only 202s");
      // Each queued one fails at message.timeout.ms, and is counted as failed after accept.
      await sleep(2_500);
      const m = parseMetrics((await http(`${down.url}/metrics`)).body);
      assert.equal(m.get('kafka_gateway_messages_total{outcome="failed_after_accept"}'), queued);
      assert.equal(m.get("kafka_gateway_brokers_up"), 0);
    } finally {
      await down.close();
    }
  });

  it("a message the broker refuses: 413 when the client waits; counted as failed after accept under ?async=1", async () => {
    const topic = `gw-${crypto.randomUUID().slice(0, 8)}`;
    // The broker refuses it: a topic limit below the message on Kafka, an injected error on the mock.
    if (cluster.kind === "kafka") {
      await cluster.createTopic(topic, { partitions: 1, config: { "max.message.bytes": "1000" } });
    } else await cluster.createTopic(topic, { partitions: 1 });
    const refuse = () => cluster.mock?.pushRequestErrors(0, /* Produce */ [10 /* MSG_SIZE_TOO_LARGE */]);
    const g = start();
    try {
      await refuse();
      const waited = await http(`${g.url}/topics/${topic}`, { method: "POST", body: new Uint8Array(5_000) });
      assert.equal(waited.status, 413, JSON.stringify(waited.body));
      assert.equal(waited.body.error, "MSG_SIZE_TOO_LARGE");
      await refuse();
      const queued = await http(`${g.url}/topics/${topic}?async=1`, { method: "POST", body: new Uint8Array(5_000) });
      assert.equal(queued.status, 202);
      await eventually(async () => {
        const m = parseMetrics((await http(`${g.url}/metrics`)).body);
        assert.equal(m.get('kafka_gateway_messages_total{outcome="failed_after_accept"}'), 1);
        assert.equal(m.get('kafka_gateway_messages_total{outcome="failed"}'), 1);
      }, 10_000);
      const ok = await http(`${g.url}/topics/${topic}`, { method: "POST", body: "small" });
      assert.equal(ok.status, 202, `the producer still works: ${JSON.stringify(ok.body)}`);
    } finally {
      await g.close();
    }
  });

  it("a fatal producer error: /healthz turns 503 (so an orchestrator replaces the process), produces fail fast", async () => {
    const topic = await newTopic(1);
    const g = start();
    try {
      assert.equal((await http(`${g.url}/topics/${topic}`, { method: "POST", body: "before" })).status, 202);
      g.producer.testFatalError(47, /* INVALID_PRODUCER_EPOCH */ "injected by the test");
      await eventually(async () => {
        const h = await http(`${g.url}/healthz`);
        assert.equal(h.status, 503, JSON.stringify(h.body));
        assert.equal(h.body.status, "producer_failed");
        assert.equal(h.body.error, "INVALID_PRODUCER_EPOCH");
      }, 5_000);
      const t0 = Date.now();
      const r = await http(`${g.url}/topics/${topic}`, { method: "POST", body: "after" });
      assert.ok(r.status >= 500, JSON.stringify(r.body));
      assert.ok(Date.now() - t0 < 2_000, "refused at once, not after ackTimeoutMs");
    } finally {
      await g.close();
    }
  });

  it("close(): ends open streams, lets requests in flight answer, delivers what was accepted", async () => {
    const topic = await newTopic(1);
    const g = start();
    const sse = await SseReader.open(`${g.url}/topics/${topic}/stream`);
    assert.equal((await sse.next(10_000)).event, "ready");
    const answers = await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) => http(`${g.url}/topics/${topic}?async=1`, { method: "POST", body: `m${i}` }),
      ),
    );
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [202]);
    await g.close();
    assert.ok(await sse.ended(5_000), "the stream ended at close");
    const got = await readBack(cluster.bootstrapServers, topic, { partitions: [0], count: 200 });
    assert.deepEqual(new Set(got.map((m) => text(m.value))).size, 200);
    await assert.rejects(fetch(`${g.url}/healthz`), "nothing listens after close");
  });
});
