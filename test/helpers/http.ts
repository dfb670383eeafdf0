/**
 * HTTP helpers for the gateway tests: a request that always reads its body (Deno's
 * test sanitizer flags unread bodies as leaks), a Server-Sent Events reader, and a
 * Prometheus text parser.
 *
 * @module
 */

/** A finished request: status, headers and the body parsed as JSON (or text). */
export interface HttpResult {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/**
 * Sends a request and reads its whole body.
 *
 * @example
 * ```ts
 * const r = await http(`${url}/topics/t`, { method: "POST", body: "v" });
 * assert.equal(r.status, 202);
 * ```
 */
export async function http(url: string, init: RequestInit = {}): Promise<HttpResult> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON: keep the text */ }
  return { status: res.status, headers: res.headers, body };
}

/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Reads an SSE response event by event; comments (heartbeats) are counted, not returned.
 *
 * @example
 * ```ts
 * const sse = await SseReader.open(`${url}/topics/t/stream`);
 * const ready = await sse.next(5_000);
 * sse.close();
 * ```
 */
export class SseReader {
  heartbeats = 0;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #abort: AbortController;
  #buffer = "";
  #decoder = new TextDecoder();
  readonly status: number;
  readonly contentType: string | null;

  private constructor(res: Response, abort: AbortController) {
    this.status = res.status;
    this.contentType = res.headers.get("content-type");
    this.#reader = res.body!.getReader();
    this.#abort = abort;
  }

  /** Opens the stream (resolves at the response headers). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const abort = new AbortController();
    const res = await fetch(url, { signal: abort.signal, headers });
    return new SseReader(res, abort);
  }

  /** The next event; rejects if none comes within `timeoutMs` or the stream ends. */
  async next(timeoutMs: number): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const ev: SseEvent = { event: "message", data: "" };
        let comment = true;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          comment = false;
          const [field, ...rest] = line.split(":");
          const value = rest.join(":").replace(/^ /, "");
          if (field === "event") ev.event = value;
          else if (field === "data") ev.data += value;
          else if (field === "id") ev.id = value;
        }
        if (comment) {
          this.heartbeats++;
          continue;
        }
        if (ev.event === "message" && ev.data === "" && ev.id === undefined) continue; // e.g. `retry:` alone
        return ev;
      }
      const chunk = await this.#readUntil(deadline);
      if (chunk === "late") throw new Error(`no SSE event within ${timeoutMs} ms`);
      if (chunk.done) throw new Error("the SSE stream ended");
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
    }
  }

  /** Resolves true when the server ends the stream within `timeoutMs`. */
  async ended(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const chunk = await this.#readUntil(deadline);
      if (chunk === "late") return false;
      if (chunk.done) return true;
    }
  }

  /** The next chunk, or "late" once `deadline` (ms since the epoch) passes first. */
  async #readUntil(deadline: number): Promise<ReadableStreamReadResult<Uint8Array> | "late"> {
    const left = deadline - Date.now();
    if (left <= 0) return "late";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), left));
    return await Promise.race([this.#reader.read(), late]).finally(() => clearTimeout(timer));
  }

  /** Disconnects, as a browser tab closing does. */
  close(): void {
    this.#abort.abort();
    this.#reader.cancel().catch(() => {});
  }
}

/**
 * The samples of a Prometheus text exposition, keyed `name{labels}`.
 *
 * @example
 * ```ts
 * const m = parseMetrics(await (await fetch(`${url}/metrics`)).text());
 * m.get('kafka_gateway_requests_total{route="produce",code="202"}');
 * ```
 */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
