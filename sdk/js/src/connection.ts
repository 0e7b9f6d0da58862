/**
 * One WebSocket connection to the server (protocol §1, §2): JSON text frames, requests matched
 * to answers by `id` (never by position, protocol §2.3), pushes handed to the client. The
 * browser answers the server's pings itself (protocol §1); it cannot send its own, so the
 * connection sends the `ping` operation (protocol §3.22) to notice a dead link.
 */

import { rtmError, type RtmError } from "./errors";

/** A server frame (protocol §2.2), tagged by `t`. */
export interface ServerFrame {
  t: string;
  id?: number | null;
  result?: unknown;
  code?: number;
  name?: string;
  message?: string;
  [field: string]: unknown;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: RtmError) => void;
  timer: ReturnType<typeof setTimeout>;
  timeoutCode: number;
}

/**
 * Protocol §1, §3.22: after 2 s without a frame from the server, ask it for a `ping` reply;
 * none within 2 s more means the link is dead (a half-open TCP connection never closes by
 * itself), so about 4 s pass before RECONNECTING, as in Agora's SDKs (spec §3.1).
 */
const IDLE_MS = 2_000;
const PING_TIMEOUT_MS = 2_000;
const CHECK_EVERY_MS = 500;

export interface ConnectionHandlers {
  onPush: (frame: ServerFrame, conn: Connection) => void;
  onClose: (conn: Connection, code: number, reason: string) => void;
}

export class Connection {
  private readonly pending = new Map<number, Pending>();
  private open_ = true;
  private lastHeard = Date.now();
  private pinging = false;
  private readonly keepalive: ReturnType<typeof setInterval>;

  private constructor(
    private readonly ws: WebSocket,
    private readonly nextId: () => number,
    private readonly handlers: ConnectionHandlers,
  ) {
    ws.onmessage = (event) => this.onMessage(event);
    ws.onclose = (event) => this.onClosed(event.code, event.reason);
    this.keepalive = setInterval(() => this.checkAlive(), CHECK_EVERY_MS);
  }

  /** Open a WebSocket to `url`; rejects when it cannot be opened. */
  static open(
    url: string,
    nextId: () => number,
    handlers: ConnectionHandlers,
  ): Promise<Connection> {
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch (error) {
        reject(error);
        return;
      }
      ws.onopen = () => {
        ws.onerror = null;
        resolve(new Connection(ws, nextId, handlers));
      };
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
      ws.onclose = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  get isOpen(): boolean {
    return this.open_;
  }

  /** Send a frame that gets no answer (`ack`, protocol §2.1). */
  send(frame: object): void {
    if (this.open_) this.ws.send(JSON.stringify(frame));
  }

  /**
   * Send request `op` with `fields`; resolve with the reply's `result`, reject with the
   * server's error (protocol §4) or with `timeoutCode` when no answer comes in `timeoutMs`
   * or the connection ends first (protocol §2.3: fail every pending request).
   */
  request(op: string, fields: object, timeoutMs: number, timeoutCode: number): Promise<unknown> {
    const id = this.nextId();
    return new Promise((resolve, reject) => {
      if (!this.open_) {
        reject(rtmError(timeoutCode, "RtmTimeoutError", "the connection is closed"));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(rtmError(timeoutCode, "RtmTimeoutError", `no answer to ${op} in time`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, timeoutCode });
      this.ws.send(JSON.stringify({ op, id, ...fields }));
    });
  }

  /** Close the connection; its close event is not reported to the handlers. */
  close(code = 1000, reason = ""): void {
    if (!this.open_) return;
    this.open_ = false;
    clearInterval(this.keepalive);
    this.failPending("the connection was closed");
    this.ws.close(code, reason);
  }

  /** Ping a link that has been silent too long; one that does not answer is lost. */
  private checkAlive(): void {
    if (!this.open_ || this.pinging || Date.now() - this.lastHeard < IDLE_MS) return;
    this.pinging = true;
    this.request("ping", {}, PING_TIMEOUT_MS, 0).then(
      () => {
        this.pinging = false;
      },
      () => {
        this.pinging = false;
        if (!this.open_) return; // closed meanwhile, and reported if it was not ours
        // Reported as a close without a close frame (1006): the client reconnects
        // (protocol §5). The socket's own close event may come much later, or never.
        this.ws.onclose = null;
        this.ws.onmessage = null;
        this.ws.close();
        this.onClosed(1006, "no answer to ping");
      },
    );
  }

  private onMessage(event: MessageEvent): void {
    this.lastHeard = Date.now();
    if (typeof event.data !== "string") return; // the server sends text frames only
    let frame: ServerFrame;
    try {
      frame = JSON.parse(event.data) as ServerFrame;
    } catch {
      return;
    }
    if (typeof frame !== "object" || frame === null || typeof frame.t !== "string") return;
    if (frame.t === "reply" || frame.t === "error") {
      const pending = typeof frame.id === "number" ? this.pending.get(frame.id) : undefined;
      if (!pending) return; // an error with `id: null`, or an answer we no longer wait for
      this.pending.delete(frame.id as number);
      clearTimeout(pending.timer);
      if (frame.t === "reply") pending.resolve(frame.result);
      else {
        const name = frame.name ?? "RtmUnknownError";
        const error = rtmError(frame.code ?? 1, name, frame.message ?? "");
        error.serverCode = frame.code;
        pending.reject(error);
      }
      return;
    }
    this.handlers.onPush(frame, this);
  }

  private onClosed(code: number, reason: string): void {
    if (!this.open_) return; // we closed it ourselves
    this.open_ = false;
    clearInterval(this.keepalive);
    this.failPending("the connection was lost");
    this.handlers.onClose(this, code, reason);
  }

  private failPending(message: string): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(rtmError(pending.timeoutCode, "RtmTimeoutError", message));
    }
    this.pending.clear();
  }
}
