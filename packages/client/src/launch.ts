/** Starting the daemon when nothing listens: detached, logging to `$MISSIOND_HOME/logs/missiond.log`. */

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { RpcConnection } from './connection.js';
import { DaemonUnavailableError } from './errors.js';
import { platformPackage } from './platform.js';

/** What starting needs. */
export interface LaunchOptions {
  bin: string;
  home: string;
  endpoint: string;
  /** Give up after this long without a listening daemon. */
  timeoutMs: number;
  onClose: () => void;
}

const POLL_MS = 100;
const LOG_TAIL_BYTES = 2000;
const GRACE_AFTER_EXIT_MS = 1000;

/** Whether a connect error means "no daemon listens here" (as opposed to, say, EACCES). */
export function nothingListens(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/**
 * Starts `bin` in its own session (so this process's signals and exit do not reach it),
 * then connects, retrying until `timeoutMs`. The daemon gets this environment with
 * `MISSIOND_HOME` and `MISSION_IPC_ENDPOINT` set to what this client uses, so both agree.
 */
export async function startAndConnect(opts: LaunchOptions): Promise<RpcConnection> {
  const logs = join(opts.home, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const log = join(logs, 'missiond.log');
  const fd = openSync(log, 'a');
  const offset = statSync(log).size;
  let exit: string | null = null;
  let spawnError: Error | null = null;
  try {
    const child = spawn(opts.bin, [], {
      cwd: opts.home,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, MISSIOND_HOME: opts.home, MISSION_IPC_ENDPOINT: opts.endpoint },
    });
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('exit', (code, signal) => {
      exit = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    child.unref();
  } finally {
    closeSync(fd);
  }
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown = null;
  let exitedAt: number | null = null;
  for (;;) {
    try {
      return await RpcConnection.open(opts.endpoint, opts.onClose, opts.home);
    } catch (error) {
      lastError = error;
    }
    if (spawnError) {
      throw new DaemonUnavailableError(
        'start_failed',
        opts.endpoint,
        `cannot start the missiond daemon \`${opts.bin}\`: ${(spawnError as Error).message} (npm installs it with @missiond/core as ${platformPackage()} where one is published; else install it on PATH, or set MISSIOND_BIN or the daemonBin option)`,
        { cause: spawnError },
      );
    }
    // A daemon that exited may have lost a race to another one starting for this home:
    // keep trying a moment, then its log says why.
    if (exit !== null) exitedAt ??= Date.now();
    if (exitedAt !== null && Date.now() - exitedAt > GRACE_AFTER_EXIT_MS) break;
    if (Date.now() > deadline) break;
    await sleep(POLL_MS);
  }
  const why = exit !== null ? `it exited (${exit})` : `it did not listen within ${opts.timeoutMs} ms`;
  throw new DaemonUnavailableError(
    'start_failed',
    opts.endpoint,
    `started the missiond daemon \`${opts.bin}\` for ${opts.home}, but ${why}; its log ${log} ends with:\n${logTail(log, offset)}`,
    { cause: lastError },
  );
}

function logTail(log: string, offset: number): string {
  try {
    const text = readFileSync(log).subarray(offset).toString('utf8').trimEnd();
    return text.length > LOG_TAIL_BYTES ? text.slice(-LOG_TAIL_BYTES) : text || '(nothing)';
  } catch (error) {
    return `(cannot read it: ${(error as Error).message})`;
  }
}
