// Graceful shutdown of the bridge: on SIGINT/SIGTERM stop accepting, let the requests in flight
// finish within a grace period, then end the ones left with an `error` event (streams) or a 503
// (requests still waiting on the upstream), free their upstream requests and close every
// connection. A stream that just stops is the one outcome Claude Code handles badly; an `error`
// event or a 503 `overloaded_error` makes it retry.
import type http from 'node:http';
import type { Socket } from 'node:net';
import { BridgeError } from './anthropic/errors.js';

export const SHUTDOWN_MESSAGE = 'the bridge is shutting down; retry in a moment';

/** How long the `error` events and 503s get to reach the clients before the sockets are ended. */
const FLUSH_MS = 1_000;
/** How long an ended socket gets to say goodbye (FIN after its buffered data) before it is destroyed. */
const LINGER_MS = 500;

/** The answer for a request that arrives on a kept-alive connection while the bridge shuts down. */
export function shutdownRefusal(): BridgeError {
  return new BridgeError(503, 'overloaded_error', SHUTDOWN_MESSAGE, { connection: 'close' });
}

/** One request the bridge is answering; its handler says how to end it early. */
export class InFlightRequest {
  private endStream: ((message: string) => void) | undefined;
  private cancel: (() => void) | undefined;
  private ended = false;

  constructor(private readonly res: http.ServerResponse) {}

  /** While the answer streams: close the open block, send an `error` event, abort the upstream. */
  onEndStream(endStream: (message: string) => void): void {
    this.endStream = endStream;
  }

  /** While the request needs the upstream: abort that request (at once if it was already ended). */
  onCancel(cancel: () => void): void {
    if (this.ended) cancel();
    else this.cancel = cancel;
  }

  /** Ends the request now, in the best shape its state allows. */
  end(message: string): void {
    this.ended = true;
    if (this.endStream) this.endStream(message);
    else if (!this.res.headersSent) {
      const error = shutdownRefusal();
      const body = JSON.stringify(error.toBody());
      this.res.writeHead(error.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...error.headers,
      });
      this.res.end(body);
    } else {
      // An answer of another shape under way (the OpenAI pass-through): there is no error frame to send.
      this.res.destroy();
    }
    this.cancel?.();
  }
}

export interface ShutdownResult {
  /** Requests in flight at the signal that finished by themselves within the grace period. */
  finished: number;
  /** Requests that had to be ended (error event or 503) when the grace period ran out. */
  ended: number;
}

export class ShutdownCoordinator {
  private readonly inFlight = new Map<http.ServerResponse, InFlightRequest>();
  /** Ends the current wait early: the last request is done, or a second signal came. */
  private wakeOnDrained: (() => void) | undefined;
  private closing: Promise<ShutdownResult> | undefined;

  get isClosing(): boolean {
    return this.closing !== undefined;
  }

  get activeRequests(): number {
    return this.inFlight.size;
  }

  /** Registers a request; call the returned function when its handler is over. */
  track(res: http.ServerResponse): () => void {
    this.inFlight.set(res, new InFlightRequest(res));
    return () => {
      if (this.inFlight.delete(res) && this.inFlight.size === 0) this.wakeOnDrained?.();
    };
  }

  /** The tracked request answered by `res`, for its handler to hook into. */
  get(res: http.ServerResponse): InFlightRequest | undefined {
    return this.inFlight.get(res);
  }

  /**
   * Stops accepting connections, waits up to `graceMs` for the requests in flight, ends the ones
   * left, and resolves once the server has closed every connection. Called again while it waits
   * (a second Ctrl-C), it ends the requests in flight at once and returns the same promise.
   */
  close(server: http.Server, sockets: ReadonlySet<Socket>, graceMs: number): Promise<ShutdownResult> {
    if (this.closing) {
      this.wakeOnDrained?.();
      return this.closing;
    }
    this.closing = this.shutDown(server, sockets, graceMs);
    return this.closing;
  }

  private async shutDown(
    server: http.Server,
    sockets: ReadonlySet<Socket>,
    graceMs: number,
  ): Promise<ShutdownResult> {
    const before = this.inFlight.size;
    // Stops listening and (Node >= 19) closes the idle kept-alive connections; resolves when none is left.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await this.drained(graceMs);
    const left = [...this.inFlight.values()];
    for (const request of left) {
      try {
        request.end(SHUTDOWN_MESSAGE);
      } catch {
        // a response that cannot be written to any more: its socket is closed below
      }
    }
    await this.drained(FLUSH_MS);
    for (const socket of sockets) socket.end();
    const stragglers = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, LINGER_MS);
    await closed;
    clearTimeout(stragglers);
    return { finished: before - left.length, ended: left.length };
  }

  /** Resolves when no request is in flight, or after `ms`, whichever comes first. */
  private drained(ms: number): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeOnDrained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
