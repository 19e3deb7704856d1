import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserFigures } from '../../../../report/sections/browser/analysis.ts';
import {
  ADDENDUM_MAX_CHARS,
  browserAddenda,
  c12Addendum,
  c1Addendum,
  c5Addendum,
} from '../../../../report/sections/browser/addenda.ts';
import { around, loads, type Row } from './rows.ts';

/** Chromium's flat page, cold, at one loss rate and congestion control: h2, h1 keep-alive and Connection: close. */
function cold(loss: string, cc: string, h2: number, ka: number, close: number): Row[] {
  const at = { loss_pct: loss, congestion_control: cc };
  return [
    ...loads({ ...at, case: 'h2', connections: '1', new_connections: '1' }, around(h2)),
    ...loads({ ...at, case: 'h1_keepalive', connections: '6', new_connections: '6' }, around(ka)),
    ...loads({ ...at, case: 'h1_close', connections: '41', new_connections: '41' }, around(close)),
  ];
}

const warm = loads({ case: 'h1_keepalive', state: 'warm', connections: '6', new_connections: '0' }, around(402));

const RUN: Row[] = [
  ...cold('0', 'bbr', 456, 612, 1_310),
  ...cold('0', 'reno', 470, 640, 1_400),
  ...cold('5', 'bbr', 912, 1_100, 2_000),
  ...cold('5', 'reno', 1_400, 1_200, 2_500),
  ...warm,
  // The harness's loads and the document page do not enter the lines.
  ...loads({ case: 'h1_keepalive', client: 'harness' }, around(100)),
  ...loads({ case: 'h1_keepalive', page: 'document' }, around(100)),
];

test('C1: h1 keep-alive against Connection: close, cold, at the lowest loss and first congestion control; then warm', () => {
  assert.equal(
    c1Addendum(browserFigures(RUN)),
    'a browser (wan, TLS): h1 keep-alive page 612 ms (median) vs 1.31 s with Connection: close (n = 6 each, 0 % loss, bbr); warm connections: 402 ms (n = 6)',
  );
  // Without the warm loads the line stops after the cold ones; without Connection: close there is none.
  const noWarm = RUN.filter((r) => r.state !== 'warm');
  assert.match(c1Addendum(browserFigures(noWarm))!, /\(n = 6 each, 0 % loss, bbr\)$/);
  assert.equal(c1Addendum(browserFigures(RUN.filter((r) => r.case !== 'h1_close'))), null);
});

test('C5: h2 against h1 keep-alive, cold, at each loss rate (with loss per congestion control)', () => {
  assert.equal(
    c5Addendum(browserFigures(RUN)),
    'a browser (wan, TLS): h2 456 ms vs h1 keep-alive 612 ms at 0 % loss (bbr); at 5 % loss bbr 912 ms vs 1.10 s, reno 1.40 s vs 1.20 s (medians, n = 6 each)',
  );
  // One congestion control: not named at 0 %.
  const bbr = RUN.filter((r) => r.congestion_control === 'bbr');
  assert.match(
    c5Addendum(browserFigures(bbr))!,
    /^a browser \(wan, TLS\): h2 456 ms vs h1 keep-alive 612 ms at 0 % loss; at 5 % loss bbr/,
  );
  // Unequal samples say so.
  const fewer = RUN.filter((r) => !(r.case === 'h2' && r.loss_pct === '5' && r.rep === '6'));
  assert.match(c5Addendum(browserFigures(fewer))!, /\(medians, n = 5–6 each\)$/);
  assert.equal(c5Addendum(browserFigures(RUN.filter((r) => r.case !== 'h2'))), null);
});

test('C5: too long with three loss rates × three congestion controls: the middle loss rate is left out', () => {
  const rows = ['bbr', 'cubic', 'reno'].flatMap((cc) =>
    ['0', '1', '5'].flatMap((loss) => cold(loss, cc, 900, 1_100, 2_000)),
  );
  const text = c5Addendum(browserFigures(rows))!;
  assert.ok(text.length <= ADDENDUM_MAX_CHARS, `${text.length}: ${text}`);
  assert.match(text, /at 0 % loss \(bbr\); at 5 % loss bbr 900 ms vs 1\.10 s, cubic .*, reno .* \(medians/);
  assert.doesNotMatch(text, /1 % loss/);
});

test('C12: connections per case (medians) and the new ones when warm', () => {
  assert.equal(
    c12Addendum(browserFigures(RUN)),
    'a browser (wan, TLS) used 6 connections for 41 resources on h1 keep-alive (1 on h2, 41 with Connection: close) and opened 0 new when warm (medians, n = 6 each, 0 % loss, bbr)',
  );
  const onlyKa = RUN.filter((r) => r.case === 'h1_keepalive' && r.state === 'cold');
  assert.equal(
    c12Addendum(browserFigures(onlyKa)),
    'a browser (wan, TLS) used 6 connections for 41 resources on h1 keep-alive (medians, n = 6, 0 % loss, bbr)',
  );
});

test('browserAddenda: C1, C5 and C12 where the figures exist, none without them; every line short', () => {
  const all = browserAddenda(browserFigures(RUN));
  assert.deepEqual(
    all.map((a) => a.claim),
    ['C1', 'C5', 'C12'],
  );
  for (const a of all) assert.ok(a.text.length <= ADDENDUM_MAX_CHARS, `${a.claim}: ${a.text.length}`);
  const h2Only = RUN.filter((r) => r.case === 'h2');
  assert.deepEqual(browserAddenda(browserFigures(h2Only)), []);
  assert.deepEqual(browserAddenda(browserFigures([])), []);
});
