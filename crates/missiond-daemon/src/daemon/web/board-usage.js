// Usage: tokens and cost per slot over every recorded session, and in all
// (mission_token_stats per slot, priced by /prices). Each API response counts once.
'use strict';

async function refreshUsage() {
  const all = await rpc('mission_token_stats', {});
  const rows = await Promise.all(all.bySlot.map(async (slotRow) => {
    const stats = await rpc('mission_token_stats', { slotId: slotRow.key });
    return { slotId: slotRow.key, row: slotRow, ...(await priceRows(stats.byModel)) };
  }));
  const total = await priceRows(all.byModel);
  const line = (name, row, priced) => el('tr', { data: { usage: name } },
    el('td', {}, name),
    el('td', {}, count(tokensOf(row))),
    el('td', {}, count(row.outputTokens)),
    el('td', {}, String(row.responses)),
    el('td', {}, priced.cost == null ? 'unpriced' : money(priced.cost)),
    el('td', { class: 'muted' }, priced.unpriced.length ? 'unpriced: ' + priced.unpriced.join(', ') : ''));
  $('usage').replaceChildren(...rows.map((r) => line(r.slotId, r.row, r)), line('all slots', all.total, total));
}
Board.refreshers.usage = refreshUsage;
