/**
 * `@missiond/core`: a Node.js client for the missiond daemon.
 *
 * ```ts
 * const mission = new MissionControl();
 * const pty = await mission.pty.spawn('slot-1');
 * const { answer } = await pty.send('Explain this codebase');
 * ```
 */

export { MissionControl, PtyApi, TasksApi } from './client.js';
export type { MissionControlEvents, MissionControlOptions } from './client.js';
export { MAX_MESSAGE_BYTES } from './connection.js';
export { DaemonUnavailableError, ErrorCode, MissionError } from './errors.js';
export type { ErrorCodeValue, UnavailableReason } from './errors.js';
export { bundledDaemonBin, platformPackage, platformTriple } from './platform.js';
export { Pty } from './pty.js';
export type { PtyEvents } from './pty.js';
export * from './types.js';
