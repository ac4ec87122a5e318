// The layout checks of tests/platform/test_page_sweep.py, run in the page: returns a list of problems.
(() => {
  const problems = [];
  const width = window.innerWidth;
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth > width) problems.push(`the page scrolls sideways (${pageWidth} px in ${width} px)`);
  const style = (e) => getComputedStyle(e);
  const scrolls = (e) => ['auto', 'scroll'].includes(style(e).overflowX);
  const hidden = (el) => {
    // Not drawn (display, visibility, a closed <details>), or visually hidden for screen readers.
    if (!el.checkVisibility({visibilityProperty: true})) return true;
    for (let e = el; e; e = e.parentElement) {
      if (style(e).clip !== 'auto' && style(e).position === 'absolute') return true;
      if (style(e).position === 'absolute' && e.getBoundingClientRect().right < 0) return true;
    }
    return false;
  };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '');
  const short = (t) => t.length > 40 ? t.slice(0, 39) + '…' : t;
  const range = document.createRange();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    if (!text.trim()) continue;
    const parent = node.parentElement;
    if (!parent || parent.closest('svg, script, style, noscript, template, option')) continue;
    if (hidden(parent)) continue;
    // Text right inside a closed <details> (outside its summary) is not drawn.
    if (parent.closest('details:not([open])') && !parent.closest('summary')) continue;
    // The text's box: its nearest ancestor laid out as a box. A box that scrolls on its own
    // (a wide table's container, a code sample) may hold wider text by design.
    let box = parent, scroller = scrolls(box);
    while (box.parentElement && ['inline', 'contents'].includes(style(box).display)) {
      box = box.parentElement;
      scroller = scroller || scrolls(box);
    }
    const rect = box.getBoundingClientRect();
    const left = rect.left + box.clientLeft, right = left + box.clientWidth;
    range.selectNodeContents(node);
    for (const r of scroller ? [] : range.getClientRects()) {
      if (r.width > 0 && (r.right > right + 1 || r.left < left - 1)) {
        problems.push(`text wider than its box: "${short(text.trim())}" in ${name(box)} ` +
                      `(${Math.round(r.width)} px, box ${box.clientWidth} px)`);
        break;
      }
    }
    const hyphens = style(parent).hyphens === 'auto';
    for (const match of text.matchAll(/[^\s\-\/\u00ad\u2010\u2011\u2013\u2014·,;:]{2,}/g)) {
      const word = match[0];
      if (hyphens && !/\d/.test(word)) continue;
      range.setStart(node, match.index);
      range.setEnd(node, match.index + word.length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) {
        problems.push(`${/\d/.test(word) ? 'number' : 'word'} broken across lines: "${short(word)}" in ${name(parent)}`);
      }
    }
  }
  let small = 0, smallest = 99;
  for (const label of document.querySelectorAll('svg text')) {
    if (hidden(label)) continue;
    const matrix = label.getScreenCTM();
    const size = parseFloat(style(label).fontSize) * Math.hypot(matrix.a, matrix.b);
    if (size < 11.95) { small += 1; smallest = Math.min(smallest, size); }
    const text = label.textContent.trim();
    if (text.endsWith('…') && !label.querySelector('title')) {
      problems.push(`chart label cut without its full name in a <title>: "${short(text)}"`);
    }
  }
  if (small) problems.push(`${small} chart labels under 12 px (down to ${smallest.toFixed(1)} px)`);
  return problems;
})
