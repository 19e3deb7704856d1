import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, isNote } from '../../lib/progress.ts';

/** A stream that is not a terminal and keeps what is written to it. */
function sink(): NodeJS.WriteStream & { text: string } {
  const s = {
    text: '',
    isTTY: false,
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

test('isNote: per-profile notes and the server-under-test lines, unless they warn or report a failure', () => {
  assert.equal(isNote('[wan] calibrating the link (rtt=50ms;…)…'), true);
  assert.equal(isNote('[lan] cost skipped: needs namespaces'), true);
  assert.equal(isNote('server under test: nginx -c x.conf (port 8080)'), true);
  assert.equal(isNote('link: auto: tun (tc unavailable: sch_netem kernel module missing)'), true);
  assert.equal(isNote('[wan] warning: the calibrated RTT is 3 % above the configured one'), false);
  assert.equal(
    isNote('[wan] handshake h1/none/new: 5 requests in a row failed (last: ECONNRESET); stopping this case'),
    false,
  );
  assert.equal(isNote('SIGINT: stopping, cleaning up (samples so far are kept in results/x)'), false);
  assert.equal(isNote('cleanup: could not delete namespace kab-x-c'), false);
  assert.equal(isNote('warning: the report could not be built (EACCES)'), false);
});

test('Progress: quiet drops the progress line and the notes, keeps warnings and run-level messages', () => {
  const loud = sink();
  const quiet = sink();
  for (const [stream, q] of [
    [loud, false],
    [quiet, true],
  ] as const) {
    const p = new Progress(stream, q);
    p.plan(10);
    p.advance(1, '[wan] handshake h1');
    p.log('[wan] calibrating the link…');
    p.log('[wan] warning: jitter above 1 ms');
    p.log('SIGINT: stopping, cleaning up');
    p.finish();
  }
  assert.match(loud.text, /^\[wan\] handshake h1 {2}1\/10 {2}10%/m);
  assert.match(loud.text, /^\[wan\] calibrating the link…$/m);
  assert.equal(quiet.text, '[wan] warning: jitter above 1 ms\nSIGINT: stopping, cleaning up\n');
});
