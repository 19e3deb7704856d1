import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { documentTimingsScript, flatLoadScript } from '../../../../bench/scenarios/browser/in-page.ts';

/** A Resource Timing entry as a browser gives it, with the servers' Server-Timing. */
const entry = (name: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  startTime: 10,
  requestStart: 130,
  responseEnd: 200,
  connectStart: 10,
  connectEnd: 120,
  secureConnectionStart: 60,
  domainLookupStart: 10,
  domainLookupEnd: 10,
  nextHopProtocol: 'h2',
  responseStatus: 200,
  serverTiming: [
    { name: 'kab-conn', description: 's3' },
    { name: 'kab-tls', description: 'resumed' },
  ],
  ...over,
});

test('the flat page script fetches every URL at once and reads back each response with its server connection', async () => {
  const urls = ['https://198.18.0.2:1/bytes/100?web=1&i=0', 'https://198.18.0.2:1/bytes/10?web=1&i=1'];
  const fetched: string[] = [];
  let entries: Array<Record<string, unknown>> = [];
  let now = 0;
  const sandbox = {
    AbortSignal,
    setTimeout,
    Promise,
    performance: {
      now: () => (now += 50),
      clearResourceTimings: () => void (entries = []),
      getEntriesByType: (t: string) => (t === 'resource' ? entries : []),
    },
    fetch: async (u: string) => {
      fetched.push(u);
      entries.push(entry(u));
      return { status: 200, arrayBuffer: async () => new ArrayBuffer(1) };
    },
  };
  const seen = (await vm.runInNewContext(flatLoadScript(urls, 1_000), sandbox)) as {
    page_ms: number;
    errors: number;
    error: string | null;
    resources: Array<Record<string, unknown>>;
  };
  assert.deepEqual(fetched, urls);
  assert.equal(seen.errors, 0);
  assert.equal(seen.error, null);
  assert.equal(seen.page_ms, 50, 'one clock reading before the fetches, one after the bodies');
  assert.deepEqual(JSON.parse(JSON.stringify(seen.resources[0])), {
    name: urls[0],
    start_ms: 10,
    request_ms: 130,
    end_ms: 200,
    connect_ms: 110,
    tls_ms: 60,
    dns_ms: 0,
    protocol: 'h2',
    status: 200,
    conn_id: 's3',
    tls_session: 'resumed',
  });
});

test('the flat page script counts a failed fetch and a status other than 200 as errors', async () => {
  const sandbox = {
    AbortSignal,
    setTimeout,
    Promise,
    performance: { now: () => 0, clearResourceTimings: () => undefined, getEntriesByType: () => [] },
    fetch: async (u: string) => {
      if (u.endsWith('a')) throw new Error('net::ERR_CONNECTION_RESET');
      return { status: 404, arrayBuffer: async () => new ArrayBuffer(0) };
    },
  };
  const seen = (await vm.runInNewContext(flatLoadScript(['https://x/a', 'https://x/b'], 1_000), sandbox)) as {
    errors: number;
    error: string;
  };
  assert.equal(seen.errors, 2);
  assert.equal(seen.error, 'net::ERR_CONNECTION_RESET');
});

test('the document script takes the load event as the page time and counts missing stylesheets', () => {
  const nav = entry('https://x/page/100', { loadEventStart: 640.5 });
  const sandbox = {
    performance: {
      getEntriesByType: (t: string) =>
        t === 'navigation' ? [nav] : [entry('https://x/bytes/10?web=1&i=1'), entry('https://x/favicon.ico')],
    },
  };
  const seen = vm.runInNewContext(documentTimingsScript(3), sandbox) as {
    page_ms: number;
    errors: number;
    error: string;
    resources: unknown[];
  };
  assert.equal(seen.page_ms, 640.5);
  assert.equal(seen.resources.length, 2, 'the document and its one stylesheet; the favicon is not the page');
  assert.equal(seen.errors, 1);
  assert.equal(seen.error, '1 of 3 resources not loaded');
});
