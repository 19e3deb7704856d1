import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport, buildReportDetailed } from '../../report/build.ts';
import { copyFixture, FIXTURES } from './fixture-copy.ts';

/** The inline <script type="application/json" class="spec"> blocks: one per chart. */
function specsIn(html: string): unknown[] {
  return [...html.matchAll(/<script type="application\/json" class="spec">([\s\S]*?)<\/script>/g)].map(
    (m) => JSON.parse(m[1] ?? 'null') as unknown,
  );
}

test('normal run: report.html and summary.md with verdicts, charts pre-rendered in both themes, no vega warnings', async (t) => {
  const dir = copyFixture(t, 'report-normal');
  const r = await buildReportDetailed(dir);
  assert.equal(r.htmlPath, join(dir, 'report.html'));
  assert.equal(r.mdPath, join(dir, 'summary.md'));
  const html = readFileSync(r.htmlPath, 'utf8');
  assert.equal(r.bytes, Buffer.byteLength(html));
  assert.deepEqual(r.warnings, []);

  const verdicts = Object.fromEntries(r.model.verdicts.map((v) => [v.claim.id, v.kind]));
  assert.equal(verdicts.C1, 'confirmed');
  assert.equal(verdicts.C3, 'confirmed', 'two profiles, 10 and 51 ms: the saving grows');
  for (const id of ['C2', 'C4', 'C5', 'C6', 'C7', 'C8', 'C9', 'C10', 'C11', 'C12'])
    assert.equal(verdicts[id], 'not_run', id);

  assert.match(html, /<table class="verdicts" id="verdict-table">/);
  assert.match(html, /<span class="badge v-confirmed">confirmed<\/span>/);
  assert.match(html, /keep-alive saves 1\.00 RTT = 51\.1 ms per request over HTTP\/1\.1 cleartext at 51\.0 ms RTT/);
  assert.match(html, /<code>npm run bench -- --scenario slowstart<\/code>/, 'not-run claims carry their command');
  // Each chart: a light and a dark SVG, and its spec for the interactive version.
  const figures = [...html.matchAll(/<figure class="chart" id="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(figures, ['handshake-latency', 'handshake-saving', 'handshake-rtt-trend', 'handshake-phases']);
  assert.equal((html.match(/<div class="svg-light"><svg /g) ?? []).length, 4);
  assert.equal((html.match(/<div class="svg-dark"><svg /g) ?? []).length, 4);
  assert.equal(specsIn(html).length, 4);
  // Offline: the libraries are inline, nothing is loaded from elsewhere.
  assert.match(html, /<script data-lib="vega@[\d.]+">/);
  assert.match(html, /<script data-lib="vega-lite@[\d.]+">/);
  assert.match(html, /<script data-lib="vega-embed@[\d.]+">/);
  assert.doesNotMatch(html, /<script[^>]+src=/);
  assert.doesNotMatch(html, /<link[^>]+href=/);
  // Environment panel.
  assert.match(html, /id="environment"/);
  assert.match(html, /6\.18\.0-fixture/);
  assert.match(html, /net\.ipv4\.tcp_congestion_control/);
  assert.match(html, /npm run bench -- --scenario handshake --profile lan,wan --link tun --quick/);

  const md = readFileSync(r.mdPath, 'utf8');
  assert.match(md, /^## keepalive-bench · run fx0001/);
  assert.match(
    md,
    /\| C1 keep-alive removes the TCP 3-way handshake .* \| \*\*confirmed\*\* \(\d+ cases, n ≥ \d+ requests each; (strong evidence|inconclusive)\) \| keep-alive saves 1\.00 RTT/,
  );
  assert.match(
    md,
    /\| C3 the saving grows with RTT .* \| \*\*confirmed\*\* \(\d+ protocol\/security variants? at [^|;]* RTT, n ≥ \d+ requests a case; (strong evidence|inconclusive)\) \|/,
  );
  assert.match(md, /\| wan \| 51 \| HTTP\/1\.1 cleartext \| new connection \| 51\.12 \|/, 'headline numbers');
  assert.match(md, /\| C2 keep-alive also skips .* \| npm run bench -- --scenario slowstart \|/);
});

test('buildReport returns exactly the paths, size and build time', async (t) => {
  const dir = copyFixture(t, 'report-normal');
  const r = await buildReport(dir);
  assert.deepEqual(Object.keys(r).sort(), ['bytes', 'htmlPath', 'mdPath', 'ms']);
  assert.ok(existsSync(r.htmlPath) && existsSync(r.mdPath));
  assert.ok(r.ms > 0 && r.ms < 60_000);
  assert.ok(r.bytes > 100_000, 'the inlined libraries alone are several hundred kB');
});

test('aborted run with failed cases and a scenario that never ran: the page says so instead of breaking', async (t) => {
  const dir = copyFixture(t, 'report-broken');
  assert.equal(existsSync(join(dir, 'summary.csv')), false, 'the fixture died before writing its summary');
  const r = await buildReportDetailed(dir);
  assert.equal(existsSync(join(FIXTURES, 'report-broken', 'summary.csv')), false, 'the fixture itself is left alone');
  const html = readFileSync(r.htmlPath, 'utf8');
  assert.match(html, /<div class="banner banner-aborted" role="alert">This run was interrupted \(SIGINT\)/);
  assert.match(
    html,
    /6 of 6 requests failed in handshake\/protocol=h1\/security=none\/conn_mode=new\/size_bytes=100\/profile=wan \(ECONNRESET ×6\): the case has no figure/,
  );
  assert.match(
    html,
    /2 of 6 requests failed in .*security=tls13\/conn_mode=new.* \(timeout after 10000 ms ×2\); its figures use the successful ones/,
  );
  assert.match(html, /planned in this run but never measured: no samples of the slowstart scenario/);
  const byId = Object.fromEntries(r.model.verdicts.map((v) => [v.claim.id, v]));
  // h1 cleartext never succeeded and h1+TLS 1.3 has too few samples for a CI: only h2+TLS 1.3 can be judged.
  assert.equal(byId.C1?.kind, 'confirmed');
  assert.match(byId.C1?.figure ?? '', /1 of 2 cases agree with the model \(1 case too noisy or too small to judge\)/);
  assert.equal(byId.C2?.kind, 'not_run');
  assert.match(byId.C2?.figure ?? '', /never measured/);
  assert.equal(byId.C3?.kind, 'depends');
  assert.match(byId.C3?.reason ?? '', /needs ≥ 2 profiles/);
  assert.equal(specsIn(html).length, 3, 'charts of the cases that did measure; no RTT trend with one profile');
  const md = readFileSync(r.mdPath, 'utf8');
  assert.match(md, /Status \*\*aborted\*\*/);
  assert.match(md, /54 requests measured, 8 failed/);
});

test('a run folder with samples but no scenario section, or with nothing measured, still renders', async (t) => {
  const dir = copyFixture(t, 'report-broken');
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
  meta.status = { kind: 'running' };
  meta.profiles = [];
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  writeFileSync(join(dir, 'samples.csv'), readFileSync(join(dir, 'samples.csv'), 'utf8').split('\n')[0] + '\n');
  const r = await buildReportDetailed(dir);
  const html = readFileSync(r.htmlPath, 'utf8');
  assert.match(html, /This run never finished/);
  assert.match(html, /planned in this run but never measured: no samples of the handshake scenario/);
  assert.match(html, /records no profile calibration/);
  assert.equal(specsIn(html).length, 0);
  assert.ok(r.model.verdicts.every((v) => v.kind === 'not_run'));
});

test('every text from the run is escaped: a hostile profile name or error cannot inject markup', async (t) => {
  const dir = copyFixture(t, 'report-broken');
  const evil = '<img src=x onerror=alert(1)>';
  const metaPath = join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
  meta.link = { backend: 'tun', why: `why ${evil}`, caveats: [`caveat ${evil}`] };
  (meta.machine as Record<string, unknown>).hostname = `</script>${evil}`;
  writeFileSync(metaPath, JSON.stringify(meta));
  const samplesPath = join(dir, 'samples.csv');
  writeFileSync(
    samplesPath,
    readFileSync(samplesPath, 'utf8')
      .replaceAll('profile=wan,wan,', `profile=wan,"wan${evil}",`)
      .replaceAll('ECONNRESET', `"ECONNRESET ${evil}"`),
  );
  const r = await buildReportDetailed(dir);
  const html = readFileSync(r.htmlPath, 'utf8');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'), 'shown, escaped');
  assert.equal(html.includes(evil), false, 'never raw');
  assert.equal(html.includes(`</script>${evil}`), false);
  assert.ok(specsIn(html).length > 0, 'specs with the hostile name still parse as JSON');
});

test('a scenario this version of the report has no section for: its medians, no verdict, no crash', async (t) => {
  const dir = copyFixture(t, 'report-normal');
  const metaPath = join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
  meta.scenarios = [{ name: 'mystery', title: 'A scenario from the future (C9)', claims: ['C9'] }];
  writeFileSync(metaPath, JSON.stringify(meta));
  for (const f of ['summary.csv', 'samples.csv']) {
    const p = join(dir, f);
    writeFileSync(p, readFileSync(p, 'utf8').replaceAll(',handshake,handshake/', ',mystery,handshake/'));
  }
  const r = await buildReportDetailed(dir);
  const html = readFileSync(r.htmlPath, 'utf8');
  assert.match(html, /no section for the mystery scenario yet/);
  assert.match(html, /<caption>Total time per request \(medians\)<\/caption>/);
  assert.match(
    html,
    /<td>handshake\/protocol=h1\/security=none\/conn_mode=new\/size_bytes=100\/profile=wan<\/td><td class="num">6<\/td>/,
  );
  const c9 = r.model.verdicts.find((v) => v.claim.id === 'C9');
  assert.equal(c9?.kind, 'depends');
  assert.match(c9?.reason ?? '', /needs a report section for the mystery scenario/);
  assert.equal(r.model.verdicts.find((v) => v.claim.id === 'C1')?.kind, 'not_run');
  assert.equal(specsIn(html).length, 0);
});

test('on the none and proxy links the caveats say what the link cannot show', async (t) => {
  for (const backend of ['none', 'proxy']) {
    const dir = copyFixture(t, 'report-normal');
    const metaPath = join(dir, 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    meta.link = { backend, why: `--link ${backend}`, caveats: [`${backend} link: fixture caveat`] };
    writeFileSync(metaPath, JSON.stringify(meta));
    const r = await buildReportDetailed(dir);
    const caveats = r.model.sections[0]?.output?.caveats ?? [];
    assert.ok(caveats.includes(`Link: ${backend} link: fixture caveat`), caveats.join('\n'));
    const expected =
      backend === 'none'
        ? /^Measured on the none link \(plain loopback\): it adds no delay/
        : /^Measured on the proxy link: .*no slow start or loss recovery/;
    assert.ok(
      caveats.some((c) => expected.test(c)),
      caveats.join('\n'),
    );
  }
});

test('a scenario the server under test could not serve: its section and its claims say what it needed', async (t) => {
  const dir = copyFixture(t, 'report-normal');
  const metaPath = join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
  meta.scenarios = [...(meta.scenarios as unknown[]), { name: 'cost', title: 'cost', claims: ['C6', 'C11'] }];
  meta.scenario_skips = [
    { profile: 'lan', scenario: 'cost', reason: 'needs server-side counters (connections, requests, memory)' },
  ];
  writeFileSync(metaPath, JSON.stringify(meta));
  const r = await buildReportDetailed(dir);
  const section = r.model.sections.find((s) => s.scenario === 'cost');
  assert.equal(section?.output, null);
  assert.equal(
    section?.notice,
    'not measured in this run: skipped: needs server-side counters (connections, requests, memory)',
  );
  const c6 = r.model.verdicts.find((v) => v.claim.id === 'C6');
  assert.equal(c6?.kind, 'not_run');
  assert.match(c6?.figure ?? '', /needs server-side counters/);
});

/**
 * A whole default run (`npm run bench`, this machine, all six scenarios; its hol requests are left out of
 * samples.csv to keep the fixture small: the hol section reads its own files). Every claim gets a verdict with its
 * n and evidence strength, every chart renders without a Vega warning, and the literature panel sits beside.
 */
test('a whole default run: twelve verdicts, each naming its n and evidence strength; no chart warning', async (t) => {
  const dir = copyFixture(t, 'report-full');
  const r = await buildReportDetailed(dir);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.model.verdicts.length, 12);
  for (const v of r.model.verdicts) {
    assert.notEqual(v.kind, 'not_run', `${v.claim.id} was measured`);
    assert.ok(v.evidence, `${v.claim.id} names its evidence`);
    assert.match(v.evidence.n, /\d/, `${v.claim.id}'s n has a number: ${v.evidence.n}`);
  }
  const md = readFileSync(r.mdPath, 'utf8');
  const rows = md.split('\n').filter((l) => /^\| C\d+ [^|]/.test(l));
  assert.equal(rows.length, 12);
  for (const row of rows) assert.match(row, /; (strong evidence|inconclusive)\) \|/, row.slice(0, 80));
  assert.match(md, /The published record beside each claim/);
  const html = readFileSync(r.htmlPath, 'utf8');
  assert.equal((html.match(/<div class="evidence evidence-(strong|inconclusive)">/g) ?? []).length, 12);
});
