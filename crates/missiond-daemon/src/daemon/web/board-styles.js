// xterm.js writes the styles it computes (colours, cell sizes, the scrollbar) into
// <style> elements. The board's Content-Security-Policy (style-src 'self') blocks such
// inline styles on purpose, so this file mirrors the text of each <style> element
// xterm.js makes into a constructed style sheet (CSSOM, which the policy allows). The
// page itself never makes <style> elements and never inserts markup, so nothing else
// reaches this path. Loaded before xterm.js.
'use strict';

(() => {
  const sheets = new Map(); // <style> element -> its CSSStyleSheet

  /** Only xterm.js's own style elements: in a terminal, or its shared ones in <head>. */
  function isTerminalStyle(node) {
    return node.nodeName === 'STYLE' && (node.closest('.xterm') !== null || node.parentNode === document.head);
  }

  function mirror(node) {
    if (!isTerminalStyle(node)) return;
    let sheet = sheets.get(node);
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheets.set(node, sheet);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    }
    sheet.replaceSync(node.textContent || '');
  }

  function forget(node) {
    const sheet = sheets.get(node);
    if (!sheet) return;
    sheets.delete(node);
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  }

  function each(node, fn) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.nodeName === 'STYLE') fn(node);
    node.querySelectorAll('style').forEach(fn);
  }

  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'characterData') {
        if (r.target.parentNode && r.target.parentNode.nodeName === 'STYLE') mirror(r.target.parentNode);
        continue;
      }
      if (r.target.nodeName === 'STYLE') { mirror(r.target); continue; }
      r.addedNodes.forEach((n) => each(n, mirror));
      r.removedNodes.forEach((n) => each(n, (s) => { if (!s.isConnected) forget(s); }));
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();
