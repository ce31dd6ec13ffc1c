/**
 * A loopback HTTP server standing in for an MNIST mirror in tests: it serves
 * given files, optionally honours Range requests, and can misbehave on cue
 * (drop the connection mid-body, answer an error status, lie about bytes).
 *
 * @module
 */

/** How a test mirror behaves. */
export interface MirrorBehaviour {
  /** Honour `Range: bytes=N-` with 206 (default true). */
  ranges?: boolean;
  /** The first `dropTimes` full-body or range responses stop after this many body bytes and reset. */
  dropAfter?: number;
  /** How many responses drop (default 1). */
  dropTimes?: number;
  /** The first response sends this many body bytes and then stalls (until the mirror closes). */
  stallAfter?: number;
  /** Answer every request with this status and no file. */
  status?: number;
}

/** One request the mirror saw. */
export interface SeenRequest {
  path: string;
  range: string | null;
  status: number;
}

/** A running test mirror. */
export interface TestMirror {
  /** Base URL with a final slash, e.g. `http://127.0.0.1:41234/mnist/`. */
  base: string;
  /** Requests seen so far. */
  requests: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Starts a mirror on 127.0.0.1 (port chosen by the system) serving `files`
 * under `/mnist/`. It speaks just enough HTTP/1.1 by hand (one request per
 * connection) so that it can cut a body short and close the socket, as a
 * failing real server does.
 */
export function startMirror(
  files: Record<string, Uint8Array>,
  behaviour: MirrorBehaviour = {},
): TestMirror {
  const requests: SeenRequest[] = [];
  let drops = behaviour.dropTimes ?? 1;
  let stalls = behaviour.stallAfter === undefined ? 0 : 1;
  let wake = () => {};
  const closing = new Promise<void>((r) => wake = r);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Promise<void>>();

  function respond(head: string): { status: number; body: Uint8Array; headers: string[] } {
    const [, path = ""] = /^GET (\S+) HTTP\/1\.[01]\r\n/.exec(head) ?? [];
    const range = /\r\nrange:\s*([^\r]*)/i.exec(head)?.[1]?.trim() ?? null;
    const seen: SeenRequest = { path, range, status: 0 };
    requests.push(seen);
    const text = (status: number, t: string) => {
      seen.status = status;
      return { status, body: new TextEncoder().encode(t), headers: [] };
    };
    if (behaviour.status) return text(behaviour.status, "no");
    const file = files[path.replace(/^\/mnist\//, "")];
    if (!path.startsWith("/mnist/") || file === undefined) return text(404, "not found");
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(range ?? "");
    if (m && behaviour.ranges !== false) {
      start = Number(m[1]);
      if (start >= file.length) {
        seen.status = 416;
        return {
          status: 416,
          body: new Uint8Array(0),
          headers: [`content-range: bytes */${file.length}`],
        };
      }
    }
    seen.status = start > 0 ? 206 : 200;
    const headers = start > 0
      ? [`content-range: bytes ${start}-${file.length - 1}/${file.length}`]
      : [];
    return { status: seen.status, body: file.subarray(start), headers };
  }

  async function handle(conn: Deno.Conn): Promise<void> {
    try {
      let head = "";
      const buf = new Uint8Array(4096);
      while (!head.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) return;
        head += new TextDecoder().decode(buf.subarray(0, n));
      }
      const { status, body, headers } = respond(head);
      let sent = body;
      if (
        behaviour.dropAfter !== undefined && drops > 0 && status < 300 &&
        behaviour.dropAfter < body.length
      ) {
        drops--;
        sent = body.subarray(0, behaviour.dropAfter); // promise the whole body, send part, hang up
      }
      const lines = [
        `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}`,
        `content-length: ${body.length}`,
        "connection: close",
        ...headers,
      ];
      await writeAll(conn, new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
      if (stalls > 0 && status < 300) {
        stalls--;
        await writeAll(conn, body.subarray(0, behaviour.stallAfter));
        await closing;
        return;
      }
      await writeAll(conn, sent);
    } catch {
      // The client went away: nothing to do.
    } finally {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }

  const loop = (async () => {
    try {
      for await (const conn of listener) {
        const p = handle(conn).finally(() => open.delete(p));
        open.add(p);
      }
    } catch {
      // The listener was closed.
    }
  })();

  const port = (listener.addr as Deno.NetAddr).port;
  return {
    base: `http://127.0.0.1:${port}/mnist/`,
    requests,
    async close() {
      wake();
      listener.close();
      await loop;
      await Promise.all(open);
    },
  };
}

const REASONS: Record<number, string> = {
  200: "OK",
  206: "Partial Content",
  404: "Not Found",
  416: "Range Not Satisfiable",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/** A base URL on 127.0.0.1 where nothing listens (a port bound and released). */
export function deadMirror(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `http://127.0.0.1:${port}/mnist/`;
}
