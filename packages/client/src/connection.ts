/**
 * One JSON-RPC 2.0 connection to the daemon: one compact JSON message per line, several
 * calls in flight matched by id. When the socket closes, every waiting call is rejected.
 */

import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

import { DaemonUnavailableError, ErrorCode, MissionError } from './errors.js';
import { socketTarget } from './paths.js';

/** The method a TCP connection must open with (docs/ipc.md, "TCP endpoints"). */
const AUTH_METHOD = 'ipc.auth';

/**
 * The token a TCP endpoint wants: `MISSION_IPC_TOKEN`, else `<home>/ipc-token` (written
 * by the daemon, readable by its user only). Unix sockets need none.
 */
export function ipcToken(home: string): string {
  const fromEnv = process.env.MISSION_IPC_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = join(home, 'ipc-token');
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(
      `MISSION_IPC_TOKEN is unset and the daemon's token file ${file} cannot be read (${(error as Error).message}); a TCP endpoint needs the daemon's token`,
      { cause: error },
    );
  }
  if (token === '') throw new Error(`the daemon's token file ${file} is empty`);
  return token;
}

/** The daemon's limit on one message, newline excluded (docs/ipc.md). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Reply {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

/** A live connection. Create it with {@link RpcConnection.open}. */
export class RpcConnection {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffer = '';
  private closedWith: DaemonUnavailableError | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly endpoint: string,
    private readonly onClose: () => void,
  ) {
    const decoder = new StringDecoder('utf8');
    socket.on('data', (chunk: Buffer) => this.receive(decoder.write(chunk)));
    socket.on('error', () => {
      // 'close' follows and rejects what waits; the error itself adds nothing a caller needs.
    });
    socket.on('close', () =>
      this.shutdown(
        new DaemonUnavailableError(
          'disconnected',
          endpoint,
          `the missiond daemon at ${endpoint} closed the connection (it stopped or crashed); the call may or may not have run, and the next call reconnects`,
        ),
      ),
    );
  }

  /**
   * Connects to `endpoint`; rejects with the socket error (`ENOENT`, `ECONNREFUSED`, ...).
   * On a TCP endpoint it then shows the daemon's token (see {@link ipcToken}; `home` is
   * the daemon's home) and rejects with the daemon's refusal if it is wrong.
   */
  static async open(endpoint: string, onClose: () => void, home: string): Promise<RpcConnection> {
    // Connect first: "nothing listens" must stay a socket error (auto-start then starts
    // a daemon, which writes its token before it listens).
    const conn = await RpcConnection.connectSocket(endpoint, onClose);
    if ('port' in socketTarget(endpoint)) {
      try {
        await conn.call(AUTH_METHOD, { token: ipcToken(home) });
      } catch (error) {
        conn.close(new DaemonUnavailableError('disconnected', endpoint, `no token for the daemon at ${endpoint}, or it was refused`));
        throw error;
      }
    }
    return conn;
  }

  private static connectSocket(endpoint: string, onClose: () => void): Promise<RpcConnection> {
    return new Promise((resolve, reject) => {
      let socket: Socket;
      try {
        socket = netConnect(socketTarget(endpoint));
      } catch (error) {
        reject(error);
        return;
      }
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.off('error', fail);
        resolve(new RpcConnection(socket, endpoint, onClose));
      });
    });
  }

  /** Whether the socket is still open. */
  get alive(): boolean {
    return this.closedWith === null;
  }

  /** Sends `method(params)` and resolves with the result or rejects with a {@link MissionError}. */
  call(method: string, params: object): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    const line = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    const bytes = Buffer.byteLength(line, 'utf8');
    // The daemon answers an over-long line with an id-less error no call could be matched
    // to, so it is refused here, before sending.
    if (bytes > MAX_MESSAGE_BYTES) {
      return Promise.reject(
        new MissionError(
          method,
          ErrorCode.InvalidRequest,
          `the ${method} request is ${bytes} bytes, over the daemon's limit of ${MAX_MESSAGE_BYTES} bytes per message; send less`,
          { bytes, maxBytes: MAX_MESSAGE_BYTES },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.socket.write(line + '\n');
    });
  }

  /** Closes the socket; waiting calls are rejected with `error`. */
  close(error: DaemonUnavailableError): void {
    this.shutdown(error);
  }

  private receive(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      if (line.trim() !== '') this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      this.shutdown(
        new DaemonUnavailableError('disconnected', this.endpoint, `the daemon at ${this.endpoint} sent a line that is not JSON; the connection was dropped`),
      );
      return;
    }
    // Replies with a null id answer a line the daemon could not read; every request this
    // client sends is valid JSON under the limit, so there is nothing to match them to.
    if (typeof reply.id !== 'number') return;
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.error) {
      const code = typeof reply.error.code === 'number' ? reply.error.code : ErrorCode.InternalError;
      const message = typeof reply.error.message === 'string' ? reply.error.message : 'the daemon returned an error without a message';
      waiting.reject(new MissionError(waiting.method, code, message, reply.error.data));
    } else {
      waiting.resolve(reply.result);
    }
  }

  private shutdown(error: DaemonUnavailableError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.socket.destroy();
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    this.onClose();
  }
}
