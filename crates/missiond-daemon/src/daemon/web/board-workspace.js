// Workspaces: each slot that has its own git worktree (`workspace:` in slots.yaml), its
// branch against the base (ahead, behind, changed and uncommitted files) and its diff
// against the base (mission_slots, mission_workspace_status, mission_workspace_diff).
// Only looking: committing and merging stay with the orchestrator and the CLI.
'use strict';

/** Diffs are shown up to this many bytes (the tool's own limit is 1 MiB). */
const DIFF_BYTES = 256 * 1024;

async function refreshWorkspaces() {
  const { slots } = await rpc('mission_slots');
  const mine = slots.filter((s) => s.workspaceBranch);
  $('workspaces-section').hidden = mine.length === 0;
  const rows = await Promise.all(mine.map(async (s) => {
    try {
      return { s, st: await rpc('mission_workspace_status', { slotId: s.id }) };
    } catch (e) {
      return { s, error: e.message };
    }
  }));
  $('workspaces').replaceChildren(...rows.map(({ s, st, error }) => el('li', { data: { workspace: s.id } },
    el('b', {}, s.id), ' ', el('span', { class: 'muted' }, s.workspaceBranch), ' ',
    error ? el('span', { class: 'bad' }, error)
      : !st.exists ? el('span', { class: 'muted' }, 'not made yet (made when the slot first starts)')
        : el('span', {}, `${st.ahead} ahead, ${st.behind} behind ${st.base} · ` +
          `${st.changed.length} changed, ${st.uncommitted.length} uncommitted`),
    st && st.exists ? el('button', { type: 'button', class: 'open-diff', onclick: (ev) => act(ev.target, () => openDiff(s.id)) }, 'diff') : null)));
}
Board.refreshers.workspaces = refreshWorkspaces;

/** One line of a unified diff, classed by what it is (text only). */
function diffLine(line) {
  const kind = line.startsWith('diff ') || line.startsWith('+++ ') || line.startsWith('--- ') ? 'file'
    : line.startsWith('@@') ? 'hunk'
      : line.startsWith('+') ? 'add'
        : line.startsWith('-') ? 'del' : 'ctx';
  return el('span', { class: 'diff-' + kind }, line + '\n');
}

async function openDiff(slotId) {
  const d = await rpc('mission_workspace_diff', { slotId, maxBytes: DIFF_BYTES });
  $('diff-title').textContent = `${slotId} against ${d.base}`;
  $('diff-meta').textContent = `${d.files.length} files, ` +
    (d.truncated ? `the first ${count(DIFF_BYTES)} of ${count(d.totalBytes)} bytes` : `${count(d.totalBytes)} bytes`);
  $('diff-files').replaceChildren(...d.files.map((f) => el('li', { class: 'muted' }, `${f.change} ${f.path}`)));
  $('diff-body').replaceChildren(...d.diff.split('\n').map(diffLine));
  $('diff-view').hidden = false;
  $('diff-view').dataset.slot = slotId;
  $('diff-view').scrollIntoView({ block: 'start' });
}

Board.starters.push(() => {
  $('diff-close').addEventListener('click', () => { $('diff-view').hidden = true; delete $('diff-view').dataset.slot; });
});
