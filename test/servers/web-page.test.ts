import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute } from '../../servers/routes.ts';
import { answerOf } from '../../servers/answer.ts';
import { pageHtml, pageSubPaths, webHeaders } from '../../servers/web-page.ts';

test('the page route parses its sizes and refuses what it cannot build', () => {
  assert.deepEqual(parseRoute('/page/100000?subs=40&sub_bytes=10000&close=1'), {
    kind: 'page',
    doc_bytes: 100000,
    subs: 40,
    sub_bytes: 10000,
    close: true,
  });
  assert.equal(parseRoute('/page/100?subs=1001&sub_bytes=1').kind, 'error');
  assert.equal(parseRoute('/page/100?subs=-1').kind, 'error');
  assert.deepEqual(parseRoute('/bytes/5?web=1'), {
    kind: 'bytes',
    size_bytes: 5,
    delay_ms: 0,
    close: false,
    web: true,
  });
});

test('a generated document is exactly its size and references each stylesheet once, in order', () => {
  const route = { kind: 'page', doc_bytes: 20_000, subs: 3, sub_bytes: 700, close: true } as const;
  const html = pageHtml(route);
  assert.ok(html);
  assert.equal(html.length, 20_000);
  const hrefs = [...html.toString().matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) =>
    m[1]!.replace(/&amp;/g, '&'),
  );
  assert.deepEqual(hrefs, pageSubPaths(route));
  assert.deepEqual(hrefs, [
    '/bytes/700?web=1&i=1&close=1',
    '/bytes/700?web=1&i=2&close=1',
    '/bytes/700?web=1&i=3&close=1',
  ]);
  assert.equal(pageHtml({ ...route, doc_bytes: 100 }), null, 'markup longer than the page');
  const tooSmall = answerOf({ ...route, doc_bytes: 100 }, 's1', 1, false);
  assert.equal(tooSmall.status, 400);
});

test("a browser's responses carry no-store, CORS, Timing-Allow-Origin and the server's connection in Server-Timing", () => {
  assert.deepEqual(webHeaders('text/css', 's7', true), {
    'content-type': 'text/css',
    'cache-control': 'no-store',
    'access-control-allow-origin': '*',
    'timing-allow-origin': '*',
    'server-timing': 'kab-conn;desc="s7", kab-tls;desc="resumed"',
  });
  assert.equal(webHeaders('text/css', 's1', null)['server-timing'], 'kab-conn;desc="s1"');
  const plain = answerOf(parseRoute('/bytes/10'), 's2', 3, null);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-type'], 'application/octet-stream');
  assert.equal(plain.headers['server-timing'], undefined, 'only web=1 responses carry the browser headers');
  assert.equal(plain.headers['x-kab-conn-seq'], 3);
  const web = answerOf(parseRoute('/bytes/10?web=1'), 's2', 1, false);
  assert.equal(web.headers['server-timing'], 'kab-conn;desc="s2", kab-tls;desc="full"');
  assert.equal(web.headers['content-length'], 10);
});
