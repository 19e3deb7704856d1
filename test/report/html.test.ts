import { test } from 'node:test';
import assert from 'node:assert/strict';
import { esc, fmtNumber, inlineScript, jsonForScript, renderPage, renderTable } from '../../report/html.ts';
import { loadRun } from '../../report/load-run.ts';
import { buildModel } from '../../report/model.ts';
import { mdCell } from '../../report/summary-md.ts';
import { copyFixture } from './fixture-copy.ts';
import { addBrowserRun } from './sections/browser/rows.ts';

test('esc escapes the five HTML metacharacters', () => {
  assert.equal(esc(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

test('jsonForScript cannot close its <script> and still parses to the same value', () => {
  const v = { label: '</script><script>alert(1)</script>', sep: 'a\u2028b', amp: 'a&b', cmt: '<!--' };
  const s = jsonForScript(v);
  assert.equal(/<\/script/i.test(s), false);
  assert.equal(s.includes('<!--'), false);
  assert.equal(s.includes('\u2028'), false);
  assert.deepEqual(JSON.parse(s), v);
});

test('inlineScript breaks up </script and <!-- inside library code', () => {
  const out = inlineScript('var a = "</script>"; var b = "<!--"; var c = "</SCRIPT>";');
  assert.equal(/<\/script/i.test(out), false);
  assert.equal(out.includes('<!--'), false);
  // Still the same JavaScript: the escapes are no-ops inside string literals.
  assert.deepEqual(new Function(`${out}; return [a, b, c];`)(), ['</script>', '<!--', '</SCRIPT>']);
});

test('tables escape cells and format numbers without trailing zeros', () => {
  const html = renderTable({
    title: 'T <1>',
    columns: [{ label: 'name' }, { label: 'median', unit: 'ms', numeric: true }],
    rows: [
      ['<b>x</b>', 10.3],
      ['y', null],
    ],
  });
  assert.match(html, /<caption>T &lt;1&gt;<\/caption>/);
  assert.match(html, /<td>&lt;b&gt;x&lt;\/b&gt;<\/td><td class="num">10\.3<\/td>/);
  assert.match(html, /<td class="num">—<\/td>/);
  assert.match(html, /median <span class="unit">\(ms\)<\/span>/);
  assert.equal(fmtNumber(102.54), '102.5');
  assert.equal(fmtNumber(0.42149), '0.421');
  assert.equal(fmtNumber(51), '51');
});

test('Markdown cells cannot break the table or inject HTML', () => {
  assert.equal(mdCell('a | b\nc <i>'), 'a \\| b c &lt;i&gt;');
});

test('the verdict table shows what other sections add about a claim under its figure, in small text', (t) => {
  const dir = copyFixture(t, 'report-normal');
  addBrowserRun(dir);
  const html = renderPage(buildModel(loadRun(dir), new Date('2026-11-20T12:00:00Z')), new Map(), []);
  assert.match(
    html,
    /<td class="figure">keep-alive saves [^<]*<div class="addendum muted">a browser \(wan, TLS\): h1 keep-alive page 612 ms \(median\) vs 1\.31 s with Connection: close \(n = 6 each, 0 % loss, bbr\)/,
  );
});
