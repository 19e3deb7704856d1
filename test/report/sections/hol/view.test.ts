import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holFigures } from '../../../../report/sections/hol/analysis.ts';
import { holView } from '../../../../report/sections/hol/view.ts';

type Row = Record<string, string>;

function appRow(mode: string, pos: number): Row {
  const slow = pos === 1;
  return {
    profile: 'wan',
    rtt_ms_calibrated: '50',
    congestion_control: 'reno',
    mode,
    batch_id: `b${mode}`,
    rep: '1',
    warmup: '0',
    pos: String(pos),
    req: slow ? 'slow' : 'fast',
    server_delay_ms: slow ? '200' : '0',
    write_ms: '0.1',
    done_ms: slow ? '252' : '60',
    unblocked_ms: slow ? '251' : '50',
    ready_ms: '50.1',
    blocked_ms: '9.9',
    delay_vs_alone_ms: '10',
    batch_ms: '260',
    error: '',
  };
}

function pageRow(mode: string, loss: number, skipped = ''): Row {
  return {
    profile: 'wan',
    rtt_ms_configured: '50',
    rtt_ms_calibrated: '50.5',
    loss_pct: String(loss),
    congestion_control: 'bbr',
    mode,
    conn_start: 'fresh',
    warmup: '0',
    page_ms: '400',
    errors: '0',
    retrans_segs_server: '0',
    retrans_segs_client: '0',
    skipped,
  };
}

const loadRow: Row = {
  profile: 'wan',
  driver: 'autocannon',
  protocol: 'h1',
  loop: 'closed',
  keep_alive: '1',
  connections: '4',
  per_connection: '4',
  total_concurrency: '16',
  rate_rps_target: '',
  requests_per_s: '285.8',
  lat_p50_us: '51583.5',
  lat_p99_us: '103167.5',
  send_lag_p99_us: '',
  errors: '0',
  timeouts: '0',
  resets: '0',
  non_2xx: '0',
  error: '',
};

test('hol view: each part with data gets its charts and table, in order', () => {
  const view = holView(
    holFigures({
      pipelining: [],
      app: [1, 2].flatMap((p) => [appRow('h1_pipelined', p), appRow('h2_streams', p)]),
      pages: [pageRow('h2_streams', 0), pageRow('h1_6conn', 0)],
      load: [loadRow],
    }),
  );
  assert.deepEqual(
    view.specs.map((s) => s.id),
    ['hol-app-timeline', 'hol-app-batch', 'hol-loss-page', 'hol-loss-retrans', 'hol-load-rps', 'hol-load-latency'],
  );
  assert.deepEqual(
    view.tables.map((t) => t.title),
    [
      'Application-level HOL: fast requests behind one slow one',
      'Transport-level HOL: page time vs loss',
      'Load runs (load.csv)',
    ],
  );
  for (const t of view.tables)
    for (const r of t.rows) assert.equal(r.length, t.columns.length, `${t.title}: a cell per column`);
  assert.deepEqual(view.tables[2]?.rows[0], [
    'wan',
    'autocannon',
    'closed',
    'yes',
    '4 × 4',
    null,
    285.8,
    51.5835,
    103.1675,
    '0 / 0 / 0 / 0',
    null,
  ]);
});

test('hol view: no data, no charts; the caveats name what was skipped or failed', () => {
  const empty = holView(holFigures({ pipelining: [], app: [], pages: [], load: [] }));
  assert.deepEqual([empty.specs.length, empty.tables.length, empty.caveats.length], [0, 0, 4]);
  const failed = { ...appRow('h2_streams', 2), congestion_control: 'bbr', error: 'reset' };
  const view = holView(
    holFigures({
      pipelining: [],
      app: [appRow('h2_streams', 1), failed],
      pages: [
        pageRow('h2_streams', 2, 'needs a link that drops packets'),
        { ...pageRow('', 0, 'cubic is not allowed'), loss_pct: '', congestion_control: 'cubic' },
      ],
      load: [loadRow],
    }),
  );
  const extra = view.caveats.slice(4);
  assert.equal(extra.length, 5);
  assert.equal(extra[0], 'loss 2 % skipped: needs a link that drops packets');
  assert.equal(extra[1], 'cubic skipped: cubic is not allowed');
  assert.match(extra[2] ?? '', /^Closed-loop load rows/);
  assert.match(extra[3] ?? '', /^Under bbr/);
  assert.equal(extra[4], '1 application-level requests failed (errors are in hol-app.csv).');
});
