/**
 * Turns a fetched `rd_kafka_message_t` into a {@link Message}: the consumer's
 * per-message hot path, kept apart from the engine (core.ts) that decides when a
 * message is handed out, so that the cost of one message can be read in one place.
 *
 * Everything here is reused from message to message (one reader, the topic names by
 * handle, the out-parameters, slabs for small copies): a decoded message allocates
 * its own key, value, headers and Message, and nothing else.
 *
 * @module
 */
import { TIMESTAMP_TYPE } from "../../ffi/mod.ts";
import { type Claim, Message, type MessageHeader } from "./message.ts";
import { backend, offHeap, type Ptr, rd } from "../native/lib.ts";
import { heldBytesFull } from "../native/limits.ts";

const SLAB = 64 * 1024;
const HEADER_OUTS = 24;

/**
 * Decodes the consumer's messages (see the module comment). One per consumer: its
 * reader and topic cache follow the messages handed out, in order.
 *
 * @example
 * ```ts
 * const decoder = new Decoder(16 * 1024, claims);
 * const msg = decoder.decode(ev, rd().rd_kafka_event_message_next(ev));
 * ```
 */
export class Decoder {
  #copyThreshold: number;
  /** The zero-copy values handed out and not released yet (the consumer's). */
  #claims: Set<Claim>;
  #topics = new Map<number | bigint, string>();
  /** The previous message's topic name (its handle: see MessageReader.sameTopic). */
  #lastTopic: string | undefined;
  #reader = backend.messageReader();
  /** Reads messages taken but not handed out (apart from #reader, whose topic cache follows the hand-outs). */
  #holdReader = backend.messageReader();
  #tsType = offHeap(8);
  #hdrOut = offHeap(8);
  #hdrOuts = offHeap(HEADER_OUTS);
  /** Allocated at the first copy (see ProducerCore's buffers: a consumer that never copies never pays for it). */
  #slab = new ArrayBuffer(0);
  #slabOff = SLAB;
  #epoch: ((m: Ptr) => number) | undefined;

  /** Values longer than `copyThreshold` stay zero-copy, claimed in `claims`. */
  constructor(copyThreshold: number, claims: Set<Claim>) {
    this.#copyThreshold = copyThreshold;
    this.#claims = claims;
    const lib = rd() as unknown as Record<string, ((m: Ptr) => number) | undefined>;
    this.#epoch = lib.rd_kafka_message_leader_epoch;
  }

  /** Reads one message (the event stays alive only for a zero-copy value). */
  decode(ev: Ptr, m: Ptr): Message {
    const c = rd();
    const r = this.#reader;
    r.load(m);
    let topic = this.#lastTopic;
    if (!r.sameTopic || topic === undefined) {
      topic = this.#topics.get(r.topicKey) ?? this.#topicName(r.topicKey);
      this.#lastTopic = topic;
    }
    const len = r.len;
    const key = r.hasKey ? this.#copy(r.keyLen, true) : null;
    const timestamp = Number(c.rd_kafka_message_timestamp(m, this.#tsType));
    const timestampType = TIMESTAMP_TYPE[this.#tsType[0]] ?? "NotAvailable";
    const headers = !this.#mayHaveHeaders()
      ? []
      : c.rd_kafka_message_headers(m, this.#hdrOut) === 0
      ? this.#headers()
      : [];
    const epoch = this.#epoch?.(m);
    const leaderEpoch = epoch === undefined || epoch < 0 ? undefined : epoch;
    const zeroCopy = r.hasValue && len > this.#copyThreshold && !heldBytesFull();
    const value = !r.hasValue ? null : zeroCopy ? new Uint8Array(r.valueView()) : this.#copy(len, false);
    const msg = new Message(topic, r.partition, r.offset, key, value, headers, timestamp, timestampType, leaderEpoch);
    if (zeroCopy) msg.adopt(ev, len, this.#claims);
    else c.rd_kafka_event_destroy(ev);
    return msg;
  }

  /**
   * Where a message taken but not handed out belongs, read without disturbing the
   * hand-out reader's topic cache (off the hot path: unread messages dropped, floors).
   */
  locate(m: Ptr): { topic: string; partition: number; offset: bigint } {
    const r = this.#holdReader;
    r.load(m);
    const topic = this.#topics.get(r.topicKey) ?? this.#nameOf(r.topic(), r.topicKey);
    return { topic, partition: r.partition, offset: r.offset };
  }

  /** Topic handles may have been freed (the assignment changed): names are read again. */
  forgetTopics(): void {
    this.#topics.clear();
    this.#lastTopic = undefined;
  }

  /**
   * False when the loaded message surely has no headers, without asking librdkafka:
   * for a record without headers `rd_kafka_message_headers` still builds and frees a
   * parse buffer (about 0.45 µs, measured: a sixth of a message's cost on Bun).
   *
   * A v2 record (Kafka 0.11 and later) ends `… valueLength value headerCount
   * headers`, and librdkafka points `payload` into the record, so the byte after the
   * value starts the header count, and 0 means none. A v0/v1 message has no headers
   * and ends with its value; the 4 bytes before the value are its big-endian length,
   * which is how one is recognised (then the byte after the value is not read, as it
   * may be past the buffer). A v2 record whose bytes before the value happen to read
   * as its length, a null or empty value (librdkafka points an empty one at a static
   * ""), or a count that is not 0: librdkafka answers.
   */
  #mayHaveHeaders(): boolean {
    const r = this.#reader;
    // An empty value points at a static "" in librdkafka, not into the record.
    if (!r.hasValue || r.len === 0) return true;
    if (r.beforeValue() === r.len) return true;
    return r.afterValue() !== 0;
  }

  /** Copies the loaded message's key or value into JS memory: small ones share 64 KiB slabs. */
  #copy(len: number, key: boolean): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const out = this.#room(len);
    if (key) this.#reader.copyKey(out);
    else this.#reader.copyValue(out);
    return out;
  }

  /** `len` bytes of JS memory: a slice of the current slab, or their own buffer when large. */
  #room(len: number): Uint8Array {
    if (len > SLAB / 4) return new Uint8Array(len);
    if (this.#slabOff + len > SLAB) {
      this.#slab = new ArrayBuffer(SLAB);
      this.#slabOff = 0;
    }
    // Not subarray(): JavaScriptCore's species lookup made it a tenth of the time per message.
    const out = new Uint8Array(this.#slab, this.#slabOff, len);
    this.#slabOff += (len + 7) & ~7;
    return out;
  }

  /** The loaded message's topic name, read once per topic handle. */
  #topicName(rkt: number | bigint): string {
    return this.#nameOf(this.#reader.topic(), rkt);
  }

  #nameOf(handle: Ptr, key: number | bigint): string {
    const name = backend.readCString(rd().rd_kafka_topic_name(handle)) ?? "";
    this.#topics.set(key, name);
    return name;
  }

  #headers(): MessageHeader[] {
    const c = rd();
    const hdrs = backend.readPtr(backend.ptrOf(this.#hdrOut), 0);
    const outs = this.#hdrOuts;
    const dv = new DataView(outs.buffer);
    const out: MessageHeader[] = [];
    for (let i = 0;; i++) {
      if (c.rd_kafka_header_get_all(hdrs, BigInt(i), outs, outs.subarray(8), outs.subarray(16)) !== 0) break;
      const name = backend.readCString(backend.fromAddress(dv.getBigUint64(0, true))) ?? "";
      const valAddr = dv.getBigUint64(8, true);
      const size = Number(dv.getBigUint64(16, true));
      out.push([name, valAddr === 0n ? null : backend.copyBytes(backend.fromAddress(valAddr), size)]);
    }
    return out;
  }
}
