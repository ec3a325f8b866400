// Every recorded fixture of the crate, fed through the Node bindings by a JS driver and
// checked against the labels a person wrote for it (the same labels the crate's own
// fixture test uses): state, dialog kind, option meanings and labels, question,
// subagents, permission mode and finished answers.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SemanticTerminal } from '../index.js';
import { Driver, fixtureNames, loadFixture } from './support.mjs';

const names = fixtureNames();

test('the fixtures are there', () => {
  assert.ok(names.length >= 10, `only ${names.length} fixtures found`);
});

for (const name of names) {
  test(`fixture ${name} reads as labelled`, () => {
    const { header, entries, labels } = loadFixture(name);
    assert.ok(labels.length > 0, 'no labels');
    const term = new SemanticTerminal(header?.cols ?? 120, header?.rows ?? 40);
    const driver = new Driver(term, entries);
    let lastAnswer = null;
    const problems = [];
    for (const label of labels) {
      driver.runUntil(label.t);
      for (const event of driver.take()) if (event.event === 'text') lastAnswer = event.text;
      const at = `t=${label.t} (${label.note})`;
      const check = (what, expected, got) => {
        if (JSON.stringify(expected) !== JSON.stringify(got)) {
          problems.push(`${at}: ${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
        }
      };
      check('state', label.state, term.state());
      const dialog = term.confirm();
      if (label.dialog !== undefined) check('dialog', label.dialog, dialog?.kind ?? null);
      if (label.options !== undefined) check('options', label.options, dialog?.options.map((o) => o.meaning) ?? []);
      if (label.labels !== undefined) check('labels', label.labels, dialog?.options.map((o) => o.label) ?? []);
      if (label.question !== undefined && !(dialog?.question ?? '').includes(label.question)) {
        problems.push(`${at}: question: expected to contain ${JSON.stringify(label.question)}, got ${JSON.stringify(dialog?.question)}`);
      }
      if (label.subagents !== undefined) check('subagents', label.subagents, term.status()?.subagents?.length ?? 0);
      if (label.mode !== undefined) check('mode', label.mode, term.status()?.permissionMode ?? '');
      if (label.answer !== undefined && !(lastAnswer ?? '').includes(label.answer)) {
        problems.push(`${at}: answer: expected to contain ${JSON.stringify(label.answer)}, got ${JSON.stringify(lastAnswer)}`);
      }
    }
    assert.deepEqual(problems, []);
  });
}
