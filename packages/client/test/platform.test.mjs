// Which daemon binary the client starts: explicit option, then MISSIOND_BIN, then the
// platform package npm installed (tested from packed tarballs in packages/tests), then
// `missiond` on PATH.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

import { bundledDaemonBin, MissionControl, platformPackage, platformTriple } from '../dist/index.js';

test('platform names follow the napi-rs convention', () => {
  assert.equal(platformTriple('darwin', 'arm64'), 'darwin-arm64');
  assert.equal(platformTriple('win32', 'x64'), 'win32-x64-msvc');
  assert.match(platformTriple('linux', 'arm64'), /^linux-arm64-(gnu|musl)$/);
});

test('this machine is named by its libc', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  const ldd = execFileSync('ldd', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const libc = /GNU libc|GLIBC/i.test(ldd) ? 'gnu' : 'musl';
  assert.equal(platformTriple(), `linux-${process.arch}-${libc}`);
  assert.equal(platformPackage(), `@missiond/missiond-linux-${process.arch}-${libc}`);
});

test('the daemon binary: option, then MISSIOND_BIN, then the platform package, then PATH', () => {
  const saved = process.env.MISSIOND_BIN;
  try {
    process.env.MISSIOND_BIN = '/from/env/missiond';
    assert.equal(new MissionControl({ daemonBin: '/explicit/missiond' }).daemonBin, '/explicit/missiond');
    assert.equal(new MissionControl().daemonBin, '/from/env/missiond');
    delete process.env.MISSIOND_BIN;
    // In the clone no platform package is installed: PATH's missiond.
    assert.equal(bundledDaemonBin(), null);
    assert.equal(new MissionControl().daemonBin, 'missiond');
  } finally {
    if (saved === undefined) delete process.env.MISSIOND_BIN;
    else process.env.MISSIOND_BIN = saved;
  }
});
