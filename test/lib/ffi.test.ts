/**
 * koffi loads on first use (lib/ffi.ts): where it cannot load, every --help still works and the code that needs
 * it says "needs koffi/glibc (Linux): …". test/helpers/no-koffi.mjs makes koffi fail to resolve, as on a system
 * without its binary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ffiUnavailable, ffiUnavailableReason, loadKoffi, loadLibc } from '../../lib/ffi.ts';
import { isUserError } from '../../lib/errors.ts';
import { REPO } from '../helpers/run-cli.ts';

const NO_KOFFI = ['--import', 'tsx', '--import', './test/helpers/no-koffi.mjs'];

function node(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs an ES module snippet with koffi blocked; it prints what it finds as JSON on stdout. */
function withoutKoffi(code: string): unknown {
  const r = node([...NO_KOFFI, '--input-type=module', '-e', code]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as unknown;
}

test('the hook really makes koffi unloadable, by import and by require', () => {
  const seen = withoutKoffi(`
    import { createRequire } from 'node:module';
    const out = {};
    try { await import('koffi'); out.imported = true; } catch (e) { out.imported = e.message; }
    try { createRequire(import.meta.url)('koffi'); out.required = true; } catch (e) { out.required = e.message; }
    console.log(JSON.stringify(out));`);
  assert.deepEqual(seen, {
    imported: "Cannot find package 'koffi' (blocked by test/helpers/no-koffi.mjs)",
    required: "Cannot find package 'koffi' (blocked by test/helpers/no-koffi.mjs)",
  });
});

for (const [script, usage] of [
  ['bench', /^npm run bench -- \[options\]/],
  ['report', /^npm run report -- \[run-dir\]/],
  ['compare', /^npm run compare -- /],
  ['serve', /^npm run serve -- /],
  ['clean', /^npm run clean /],
  ['gate', /^keepalive-bench gate /],
] as const) {
  test(`${script} --help works where koffi cannot load`, () => {
    const r = node([...NO_KOFFI, `scripts/${script}.ts`, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, usage);
    assert.equal(r.stderr, '');
  });
}

test('without koffi, the modules that call C still import, and their first call says what is missing', () => {
  const seen = withoutKoffi(`
    const tun = await import('./netem/tun-device.ts');
    const tcp = await import('./bench/drivers/tcp-options.ts');
    const ffi = await import('./lib/ffi.ts');
    const errors = await import('./lib/errors.ts');
    const net = await import('node:net');
    const attempt = (fn) => {
      try { fn(); return 'no error'; } catch (e) { return { user: errors.isUserError(e), message: e.message }; }
    };
    console.log(JSON.stringify({
      openTun: attempt(() => tun.openTun('kabtest0')),
      setTimerSlack: attempt(() => tun.setTimerSlack(1)),
      tcpOptions: attempt(() => tcp.applyTcpOptions(new net.Socket(), null, 1000)),
      reason: ffi.ffiUnavailableReason(),
    }));`) as Record<string, unknown>;
  const expected = {
    user: true,
    message:
      "needs koffi/glibc (Linux): cannot load koffi: MODULE_NOT_FOUND: Cannot find package 'koffi' (blocked by test/helpers/no-koffi.mjs)",
  };
  assert.deepEqual(seen.openTun, expected);
  assert.deepEqual(seen.setTimerSlack, expected);
  assert.deepEqual(seen.tcpOptions, expected);
  assert.equal(seen.reason, expected.message);
});

test('here (Linux, glibc) koffi and libc load once and are reused', () => {
  assert.equal(ffiUnavailableReason(), null);
  assert.equal(loadKoffi(), loadKoffi());
  assert.equal(loadLibc(), loadLibc());
});

test('the message is one line, whatever the loader said', () => {
  const e = ffiUnavailable('cannot open libc.so.6: libc.so.6: cannot open shared object file\nat load (x.js:1)');
  assert.ok(isUserError(e));
  assert.equal(
    e.message,
    'needs koffi/glibc (Linux): cannot open libc.so.6: libc.so.6: cannot open shared object file',
  );
});
