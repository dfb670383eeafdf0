/**
 * The gateway's two runtime-specific pieces: starting an HTTP server on the
 * runtime's own one (`Bun.serve` or `Deno.serve`, picked at run time), and reading
 * a request body with a size cap that holds even without a `Content-Length`.
 *
 * @module
 */

/** A running server: its port, and a stop that lets open responses finish. */
export interface HttpServer {
  readonly port: number;
  readonly hostname: string;
  /** Stops accepting connections; resolves when the server is down. */
  stop(): Promise<void>;
}

/** What {@link serveHttp} needs. */
export interface ServeOptions {
  /** 0 picks a free port. */
  port: number;
  hostname: string;
  fetch: (request: Request) => Response | Promise<Response>;
}

interface BunServer {
  port: number;
  hostname: string;
  stop(closeActive?: boolean): Promise<void> | void;
}
interface BunLike {
  serve(o: {
    port: number;
    hostname: string;
    idleTimeout: number;
    fetch: (r: Request) => Response | Promise<Response>;
    error: (e: Error) => Response;
  }): BunServer;
}
interface DenoServer {
  addr: { port: number; hostname: string };
  shutdown(): Promise<void>;
  finished: Promise<void>;
}
interface DenoLike {
  serve(
    o: { port: number; hostname: string; onListen: () => void; onError: (e: unknown) => Response },
    h: (r: Request) => Response | Promise<Response>,
  ): DenoServer;
}

/** A handler that threw: a 500, never a dead server. */
function crashed(e: unknown): Response {
  return Response.json({ error: "internal", message: String((e as Error)?.message ?? e) }, { status: 500 });
}

/**
 * Serves `fetch` on Bun or Deno, whichever runs this.
 *
 * @example
 * ```ts
 * const server = serveHttp({ port: 8080, hostname: "127.0.0.1", fetch: () => new Response("hi") });
 * console.log(`listening on ${server.port}`);
 * await server.stop();
 * ```
 */
export function serveHttp(options: ServeOptions): HttpServer {
  const g = globalThis as unknown as { Bun?: BunLike; Deno?: DenoLike };
  if (g.Bun) {
    const s = g.Bun.serve({
      port: options.port,
      hostname: options.hostname,
      // Bun closes a connection idle for idleTimeout seconds (default 10), streaming
      // responses included: the SSE stream's heartbeat comes well within 30 s.
      idleTimeout: 30,
      fetch: options.fetch,
      error: crashed,
    });
    return {
      port: s.port,
      hostname: s.hostname,
      stop: async () => {
        // Graceful first, so that requests in flight get their answers; then, after
        // 10 s, closes whatever still hangs on.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<void>((r) => timer = setTimeout(r, 10_000));
        await Promise.race([s.stop(false), late]);
        clearTimeout(timer);
        await s.stop(true);
      },
    };
  }
  if (g.Deno) {
    const s = g.Deno.serve(
      { port: options.port, hostname: options.hostname, onListen: () => {}, onError: crashed },
      options.fetch,
    );
    return {
      port: s.addr.port,
      hostname: s.addr.hostname,
      stop: async () => {
        await s.shutdown();
        await s.finished;
      },
    };
  }
  throw new Error("the gateway runs on Bun or Deno (Bun.serve / Deno.serve)");
}

/** Thrown by {@link readBody} when the body passes the cap. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
    this.name = "BodyTooLarge";
  }
}

/**
 * The request's body, or {@link BodyTooLarge} as soon as it passes `limit` bytes:
 * a declared `Content-Length` over the cap is refused before a byte is read, and a
 * chunked body is cut off mid-stream, so a client cannot make the gateway buffer
 * more than `limit`.
 *
 * @example
 * ```ts
 * const bytes = await readBody(request, 1_000_000);
 * ```
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new BodyTooLarge(limit);
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
