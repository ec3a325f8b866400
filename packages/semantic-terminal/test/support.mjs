// Shared by the tests: the crate's recorded fixtures and a live-host driver written
// against the public API only, as a Node user would write one.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** crates/semantic-terminal/tests/fixtures: recordings of the real Claude Code, with labels. */
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../crates/semantic-terminal/tests/fixtures');

/** Every recording's name (without `.jsonl`), sorted. */
export function fixtureNames() {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.jsonl') && !f.endsWith('.labels.jsonl'))
    .map((f) => f.slice(0, -'.jsonl'.length))
    .sort();
}

/** `{ text, header, entries, labels }` of one fixture; entries are parsed here, in JS. */
export function loadFixture(name) {
  const text = readFileSync(join(FIXTURES, `${name}.jsonl`), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  const header = lines[0] && 'version' in lines[0] ? lines.shift() : null;
  const labels = readFileSync(join(FIXTURES, `${name}.labels.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
    .sort((a, b) => a.t - b.t);
  return { text, header, entries: lines, labels };
}

/**
 * Plays recording entries into a terminal the way a live host does: before each entry,
 * every deadline that fell due is honoured with `advance`, replies are taken after every
 * call, events are collected.
 */
export class Driver {
  constructor(term, entries) {
    this.term = term;
    this.entries = entries;
    this.next = 0;
    this.now = 0;
    this.events = [];
  }

  /** Plays every entry at or before `t`, then lets time run to `t`. */
  runUntil(t) {
    while (this.next < this.entries.length && this.entries[this.next].t <= t) {
      this.apply(this.entries[this.next]);
      this.next += 1;
    }
    this.settleUntil(t);
  }

  apply(entry) {
    const t = Math.max(entry.t, this.now);
    this.settleUntil(t);
    if ('b64' in entry) this.term.feed(t, Buffer.from(entry.b64, 'base64'));
    else if ('resize' in entry) this.term.resize(t, entry.resize.cols, entry.resize.rows);
    else if ('exit' in entry) this.term.markExited(t);
    else throw new Error(`unknown recording entry ${JSON.stringify(entry)}`);
    this.now = t;
    this.collect();
  }

  settleUntil(t) {
    for (let d = this.term.nextDeadline(); d !== null && d <= t; d = this.term.nextDeadline()) {
      this.advanceTo(Math.max(d, this.now));
      if (this.term.nextDeadline() === d) break; // not moved on: do not spin
    }
    if (t > this.now) this.advanceTo(t);
  }

  advanceTo(t) {
    this.term.advance(t);
    this.now = t;
    this.collect();
  }

  collect() {
    this.events.push(...this.term.drainEvents());
    this.term.takeReplies();
  }

  /** Events collected and not yet taken. */
  take() {
    const events = this.events;
    this.events = [];
    return events;
  }
}
