// Compiled, not run (tsconfig.json): the declarations accept what a user writes and
// give back precise types.
import { replay, SemanticTerminal, terminalAt, type Dialog, type State, type TerminalEvent } from '../index.js';

const term = new SemanticTerminal(120, 40, { debounce: 0.2, scrollbackLines: 100 });
term.feed(0, 'text');
term.feed(0.1, Buffer.from('bytes'));
term.feed(0.2, new Uint8Array([65]));
const due: number | null = term.nextDeadline();
if (due !== null) term.advance(due);
const state: State = term.state();
const dialog: Dialog | null = term.confirm();
const meanings: string[] = dialog?.options.map((o) => o.meaning) ?? [];
const replies: Buffer = term.takeReplies();
for (const event of term.drainEvents()) describe(event);
const events: TerminalEvent[] = replay('', { cols: 80 });
const later: SemanticTerminal = terminalAt('', 1.5);

function describe(event: TerminalEvent): string {
  switch (event.event) {
    case 'state':
      return `${event.prev} -> ${event.state}`;
    case 'confirm':
      return event.info.question;
    case 'status':
      return event.status.footer ?? '';
    case 'tool_output':
      return event.output.output;
    case 'title':
      return event.title.text;
    case 'text':
      return event.text;
  }
}

export { state, meanings, replies, events, later };
