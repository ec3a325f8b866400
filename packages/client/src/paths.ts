/** Where the daemon lives: its home, its IPC endpoint and its binary, as missiond resolves them. */

import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

import { bundledDaemonBin } from './platform.js';

/** The default TCP endpoint on Windows (docs/ipc.md). */
const WINDOWS_ENDPOINT = 'tcp://127.0.0.1:9121';

/** How `net.connect` reaches an endpoint. */
export type SocketTarget = { path: string } | { host: string; port: number };

/** `MISSIOND_HOME`, else `~/.missiond`; `~` at the start is expanded. */
export function resolveHome(explicit?: string): string {
  const raw = explicit ?? process.env.MISSIOND_HOME;
  if (raw === undefined || raw === '') return join(homedir(), '.missiond');
  return resolve(expandTilde(raw));
}

/** The explicit endpoint, else `MISSION_IPC_ENDPOINT`, else the platform default for `home`. */
export function resolveEndpoint(home: string, explicit?: string): string {
  const raw = explicit ?? process.env.MISSION_IPC_ENDPOINT;
  if (raw !== undefined && raw !== '') return raw;
  return process.platform === 'win32' ? WINDOWS_ENDPOINT : join(home, 'missiond.sock');
}

/**
 * The daemon binary: explicit, else `MISSIOND_BIN`, else the one npm installed with this
 * package (`@missiond/missiond-<platform>`, see platform.ts), else `missiond` on PATH.
 */
export function resolveDaemonBin(explicit?: string): string {
  const raw = explicit ?? process.env.MISSIOND_BIN;
  if (raw !== undefined && raw !== '') return raw;
  return bundledDaemonBin() ?? 'missiond';
}

/**
 * Parses an endpoint as the daemon accepts it: `tcp://HOST:PORT` (loopback only, the
 * daemon refuses others), `unix:///path` or a bare path.
 */
export function socketTarget(endpoint: string): SocketTarget {
  if (endpoint.startsWith('tcp://')) {
    const url = new URL(endpoint);
    const port = Number(url.port);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new Error(`endpoint \`${endpoint}\` has no valid port (expected tcp://127.0.0.1:PORT)`);
    }
    // URL keeps IPv6 hosts in brackets; net.connect wants them bare.
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  const path = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint;
  if (path === '') throw new Error(`endpoint \`${endpoint}\` names no socket path`);
  return { path: isAbsolute(path) ? path : resolve(expandTilde(path)) };
}

function expandTilde(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}
