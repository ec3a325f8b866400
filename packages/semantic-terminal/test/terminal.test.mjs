// The bindings' own behaviour: bytes and strings in, replies out, size and cursor, exit,
// bad input refused with a reason, rules replaced, and the replay helpers on fixtures.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { SemanticTerminal, replay, terminalAt } from '../index.js';
import { Driver, FIXTURES, loadFixture } from './support.mjs';

test('bytes and strings reach the screen, lines and cursor follow', () => {
  const term = new SemanticTerminal(40, 6);
  term.feed(0, 'first line\r\n');
  term.feed(0.01, Buffer.from('zweite Zeile: grüße'));
  term.feed(0.02, new Uint8Array([0x0d, 0x0a, 0x41, 0x42]));
  const lines = term.screenLines();
  assert.equal(lines.length, 6);
  assert.equal(lines[0].trimEnd(), 'first line');
  assert.equal(lines[1].trimEnd(), 'zweite Zeile: grüße');
  assert.equal(lines[2].trimEnd(), 'AB');
  assert.match(term.screenText(), /first line\nzweite Zeile: grüße\nAB/);
  assert.deepEqual(term.cursor(), { row: 2, col: 2, visible: true });
  assert.deepEqual(term.size(), { cols: 40, rows: 6 });
});

test('terminal queries get their replies, once', () => {
  const term = new SemanticTerminal(80, 24);
  term.feed(0, '\x1b[5;10H\x1b[6n'); // move to row 5 col 10, then ask where the cursor is
  assert.equal(term.takeReplies().toString('latin1'), '\x1b[5;10R');
  assert.equal(term.takeReplies().length, 0);
});

test('lines pushed off the top are in the scrollback, oldest first', () => {
  const term = new SemanticTerminal(20, 3, { scrollbackLines: 100 });
  for (let i = 1; i <= 8; i++) term.feed(i / 100, `line ${i}\r\n`);
  const back = term.scrollbackLines(100).map((l) => l.trimEnd());
  assert.deepEqual(back, ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
  assert.deepEqual(term.scrollbackLines(2).map((l) => l.trimEnd()), ['line 5', 'line 6']);
});

test('resize changes the size; the title is read', () => {
  const term = new SemanticTerminal(80, 24);
  term.resize(0, 100, 30);
  assert.deepEqual(term.size(), { cols: 100, rows: 30 });
  assert.equal(term.title(), null);
  term.feed(0.1, '\x1b]0;✳ Claude Code\x07');
  assert.deepEqual(term.title(), { raw: '✳ Claude Code', text: 'Claude Code', working: false });
});

test('an exited program reads as Exited, with a state event', () => {
  const term = new SemanticTerminal(80, 24);
  term.feed(0, 'bye\r\n');
  term.markExited(1);
  for (let d = term.nextDeadline(); d !== null && d < 10; d = term.nextDeadline()) term.advance(d);
  term.advance(10);
  assert.equal(term.state(), 'Exited');
  const states = term.drainEvents().filter((e) => e.event === 'state');
  assert.equal(states.at(-1)?.state, 'Exited');
});

test('bad input is refused with a reason, and the terminal stays usable', () => {
  assert.throws(() => new SemanticTerminal(0, 24), /cols must be between 1 and 65535, got 0/);
  assert.throws(() => new SemanticTerminal(80, 70000), /rows must be between 1 and 65535/);
  assert.throws(() => new SemanticTerminal(80, 24, { debounce: -1 }), /debounce/);
  const term = new SemanticTerminal(80, 24);
  assert.throws(() => term.feed(Number.NaN, 'x'), /time must be a finite number/);
  assert.throws(() => term.advance(Number.POSITIVE_INFINITY), /finite/);
  assert.throws(() => term.feed(0, 42), /./);
  assert.throws(() => term.resize(0, 0, 10), /cols/);
  term.feed(0, 'still here');
  assert.match(term.screenText(), /still here/);
});

test('rules: the built-in file loads, broken ones are refused naming the problem', () => {
  const builtin = readFileSync(join(FIXTURES, '../../src/rules.json'), 'utf8');
  const { header, entries, labels } = loadFixture('dialogs_120x40');
  const confirming = labels.find((l) => l.state === 'Confirming');
  const term = new SemanticTerminal(header.cols, header.rows, { rules: builtin });
  new Driver(term, entries).runUntil(confirming.t);
  assert.equal(term.state(), 'Confirming');

  const wrongVersion = JSON.stringify({ ...JSON.parse(builtin), version: 99 });
  assert.throws(() => new SemanticTerminal(80, 24, { rules: wrongVersion }), /version 99 is not supported/);
  assert.throws(() => new SemanticTerminal(80, 24, { rules: '{"version": 1' }), /the rules do not load/);
});

test('rules given in options are the ones used', () => {
  // The same rules with the free-text option's meaning changed to `no`: the question
  // dialog's options read accordingly, so the option is applied rather than ignored.
  const rules = readFileSync(join(FIXTURES, '../../src/rules.json'), 'utf8');
  const { header, entries, labels } = loadFixture('dialogs_120x40');
  const question = labels.find((l) => l.options?.includes('free_text'));
  const edited = JSON.parse(rules, (key, value) => (key === 'meaning' && value === 'free_text' ? 'no' : value));
  const term = new SemanticTerminal(header.cols, header.rows, { rules: JSON.stringify(edited) });
  new Driver(term, entries).runUntil(question.t);
  assert.equal(term.confirm()?.kind, 'ask_user_question');
  const expected = question.options.map((m) => (m === 'free_text' ? 'no' : m));
  assert.deepEqual(term.confirm().options.map((o) => o.meaning), expected);
});

test('replay() gives the events a live driver sees, in order', () => {
  for (const name of ['dialogs_120x40', 'basic_80x24', 'interrupt_error_120x40']) {
    const { text, header, entries } = loadFixture(name);
    const events = replay(text);
    assert.ok(events.length > 0, name);
    const term = new SemanticTerminal(header.cols, header.rows);
    const driver = new Driver(term, entries);
    driver.runUntil(entries.at(-1).t + 60);
    const states = (list) => list.filter((e) => e.event === 'state').map((e) => `${e.prev}->${e.state}`);
    assert.deepEqual(states(events), states(driver.take()), name);
    for (const e of events) assert.equal(typeof e.t, 'number');
  }
});

test('replay() finds the finished answer and the dialogs of a recording', () => {
  const { text, labels } = loadFixture('dialogs_120x40');
  const events = replay(text);
  const answers = events.filter((e) => e.event === 'text').map((e) => e.text);
  const labelled = labels.filter((l) => l.answer).map((l) => l.answer);
  assert.ok(labelled.length > 0);
  for (const expected of labelled) assert.ok(answers.some((a) => a.includes(expected)), `no answer with ${expected}`);
  const confirm = events.find((e) => e.event === 'confirm');
  assert.equal(confirm.info.kind, 'ask_user_question');
  assert.ok(confirm.info.options.length >= 3);
});

test('terminalAt() shows the screen at a moment; a size can be forced', () => {
  const { text, labels } = loadFixture('dialogs_120x40');
  const question = labels.find((l) => l.question);
  const term = terminalAt(text, question.t);
  assert.equal(term.state(), 'Confirming');
  assert.ok(term.confirm().question.includes(question.question));
  assert.ok(term.screenText().includes(question.question));
  assert.deepEqual(terminalAt(text, 0, { cols: 90, rows: 20 }).size(), { cols: 90, rows: 20 });
});

test('a recording that does not parse is refused naming the line', () => {
  assert.throws(() => replay('{"t": 0, "b64": ""}\nnot json\n'), /line 2: not JSON/);
  assert.throws(() => replay('{"t": 0, "nothing": 1}'), /line 1: expected "b64", "resize" or "exit"/);
  assert.throws(() => terminalAt('{"t": 0, "b64": ""}', Number.NaN), /finite/);
});
