/**
 * The gateway's `/metrics`: a few counters, one latency histogram and gauges read
 * at scrape time, in Prometheus' text exposition format (version 0.0.4). Small on
 * purpose: a real service would use its metrics library; this shows which figures
 * a Kafka gateway should export and where each comes from.
 *
 * @module
 */
import { currentLimits } from "../../src/mod.ts";

/** Upper bounds (seconds) of the produce-latency histogram's buckets. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What the scrape reads live from the gateway. */
export interface LiveFigures {
  /** Messages accepted by the producer and not yet reported (`producer.pending`). */
  queueDepth: number;
  /** Open SSE streams. */
  streams: number;
  /** 1 while the producer can reach a broker, 0 while librdkafka reports them all down. */
  brokersUp: number;
}

/**
 * The counters; {@link GatewayMetrics.render} writes them out with the live figures.
 *
 * @example
 * ```ts
 * const m = new GatewayMetrics(() => ({ queueDepth: producer.pending, streams: 0, brokersUp: 1 }));
 * m.request("produce", 202);
 * m.produced(0.0012);
 * console.log(m.render());
 * ```
 */
export class GatewayMetrics {
  #requests = new Map<string, number>();
  #buckets = new Array<number>(BUCKETS.length).fill(0);
  #latencyCount = 0;
  #latencySum = 0;
  #outcomes = new Map<string, number>();
  #live: () => LiveFigures;

  constructor(live: () => LiveFigures) {
    this.#live = live;
  }

  /** Counts one answered request by route and status code. */
  request(route: string, status: number): void {
    const k = `route="${route}",code="${status}"`;
    this.#requests.set(k, (this.#requests.get(k) ?? 0) + 1);
  }

  /** Records one delivery report's latency (send to report), in seconds. */
  produced(seconds: number): void {
    this.#latencyCount++;
    this.#latencySum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]) {
        this.#buckets[i]++;
        break;
      }
    }
  }

  /**
   * Counts a message's final outcome: `delivered`, `failed` (reported before the
   * answer), or `failed_after_accept` (reported after a `202 queued` answer: the one
   * figure an operator must alert on).
   */
  outcome(kind: "delivered" | "failed" | "failed_after_accept"): void {
    this.#outcomes.set(kind, (this.#outcomes.get(kind) ?? 0) + 1);
  }

  /** A count, for tests and logs. */
  count(kind: "delivered" | "failed" | "failed_after_accept"): number {
    return this.#outcomes.get(kind) ?? 0;
  }

  /** The whole exposition. */
  render(): string {
    const live = this.#live();
    const limits = currentLimits();
    const out: string[] = [];
    const head = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    head("kafka_gateway_requests_total", "counter", "HTTP requests answered, by route and status code.");
    for (const [labels, n] of this.#requests) out.push(`kafka_gateway_requests_total{${labels}} ${n}`);

    head("kafka_gateway_messages_total", "counter", "Messages by final outcome.");
    for (const kind of ["delivered", "failed", "failed_after_accept"] as const) {
      out.push(`kafka_gateway_messages_total{outcome="${kind}"} ${this.count(kind)}`);
    }

    head("kafka_gateway_produce_latency_seconds", "histogram", "Send to delivery report.");
    let cumulative = 0;
    for (let i = 0; i < BUCKETS.length; i++) {
      cumulative += this.#buckets[i];
      out.push(`kafka_gateway_produce_latency_seconds_bucket{le="${BUCKETS[i]}"} ${cumulative}`);
    }
    out.push(`kafka_gateway_produce_latency_seconds_bucket{le="+Inf"} ${this.#latencyCount}`);
    out.push(`kafka_gateway_produce_latency_seconds_sum ${this.#latencySum}`);
    out.push(`kafka_gateway_produce_latency_seconds_count ${this.#latencyCount}`);

    head("kafka_gateway_producer_queue_depth", "gauge", "Messages accepted and not yet reported.");
    out.push(`kafka_gateway_producer_queue_depth ${live.queueDepth}`);
    head("kafka_gateway_brokers_up", "gauge", "1 while the producer reaches a broker.");
    out.push(`kafka_gateway_brokers_up ${live.brokersUp}`);
    head("kafka_gateway_sse_streams", "gauge", "Open Server-Sent Events streams.");
    out.push(`kafka_gateway_sse_streams ${live.streams}`);
    head("kafka_gateway_native_held_bytes", "gauge", "Bytes of librdkafka memory held by unreleased messages.");
    out.push(`kafka_gateway_native_held_bytes ${limits.heldBytes}`);
    head("kafka_gateway_native_held_bytes_limit", "gauge", "configure({ maxHeldBytes }).");
    out.push(`kafka_gateway_native_held_bytes_limit ${limits.maxHeldBytes}`);
    head("kafka_gateway_open_clients", "gauge", "Open librdkafka clients in this process.");
    out.push(`kafka_gateway_open_clients ${limits.openClients}`);
    return out.join("\n") + "\n";
  }
}
