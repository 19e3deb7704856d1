import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { requirePrivileged } from '../helpers/privileged.ts';
import { UserError } from '../../lib/errors.ts';
import {
  createNamespaces,
  destroyNamespaces,
  listLinks,
  listNetns,
  namespaceNames,
  newRunId,
  processAlive,
  processStartTicks,
  readNamespaceSysctls,
  readRouteInitcwnd,
  recordPath,
  run,
  setNamespaceSysctls,
  setRouteInitcwnd,
} from '../../netem/topology.ts';

function rootSysctl(key: string): string {
  return readFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, 'utf8')
    .trim()
    .split(/\s+/)
    .join(' ');
}

test('newRunId gives 6 lowercase hex chars and names fit in IFNAMSIZ', () => {
  const ids = new Set(Array.from({ length: 50 }, () => newRunId()));
  assert.ok(ids.size > 45);
  for (const id of ids) {
    assert.match(id, /^[0-9a-f]{6}$/);
    const n = namespaceNames(id);
    assert.equal(n.clientNs, `kab-${id}-c`);
    assert.equal(n.serverNs, `kab-${id}-s`);
    assert.ok(n.clientDev.length <= 15 && n.serverDev.length <= 15);
    assert.ok(n.clientDev.startsWith('kab') && n.serverDev.startsWith('kab'));
  }
  assert.throws(() => namespaceNames('ABC123'));
  assert.throws(() => namespaceNames('abc12'));
});

test('createNamespaces / destroyNamespaces leave nothing behind', async (t) => {
  if (!requirePrivileged(t)) return;
  const n = await createNamespaces(newRunId());
  let destroyed = false;
  t.after(async () => {
    if (!destroyed) await destroyNamespaces(n);
  });
  const nsList = await listNetns();
  assert.ok(nsList.includes(n.clientNs) && nsList.includes(n.serverNs));
  const rec = JSON.parse(readFileSync(recordPath(n.runId), 'utf8')) as {
    pid: number;
    netns: string[];
    links: string[];
  };
  assert.equal(rec.pid, process.pid);
  assert.deepEqual(rec.netns, [n.clientNs, n.serverNs]);
  assert.deepEqual(rec.links, [n.clientDev, n.serverDev]);
  const lo = await run(['ip', '-n', n.clientNs, '-o', 'link', 'show', 'lo']);
  assert.match(lo, /[<,]UP[,>]/);

  // A process left inside a namespace is killed by destroy.
  const sleeper = execa('ip', ['netns', 'exec', n.serverNs, 'sleep', '30'], { reject: false });
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(sleeper.pid !== undefined && existsSync(`/proc/${sleeper.pid}`));

  await destroyNamespaces(n);
  destroyed = true;
  const r = await sleeper;
  assert.equal(r.signal, 'SIGKILL');
  const after = await listNetns();
  assert.ok(!after.includes(n.clientNs) && !after.includes(n.serverNs));
  const links = await listLinks();
  assert.ok(!links.includes(n.clientDev) && !links.includes(n.serverDev));
  assert.ok(!existsSync(recordPath(n.runId)));
  await destroyNamespaces(n); // idempotent
});

test('namespace sysctls are read and set without touching the root namespace', async (t) => {
  if (!requirePrivileged(t)) return;
  const n = await createNamespaces(newRunId());
  t.after(() => destroyNamespaces(n));
  const rootBefore = {
    ssai: rootSysctl('net.ipv4.tcp_slow_start_after_idle'),
    ka: rootSysctl('net.ipv4.tcp_keepalive_time'),
    cc: rootSysctl('net.ipv4.tcp_congestion_control'),
    rmem: rootSysctl('net.ipv4.tcp_rmem'),
  };
  const v = await readNamespaceSysctls(n.clientNs);
  for (const k of [
    'net.ipv4.tcp_congestion_control',
    'net.ipv4.tcp_slow_start_after_idle',
    'net.ipv4.tcp_keepalive_time',
    'net.ipv4.tcp_keepalive_intvl',
    'net.ipv4.tcp_keepalive_probes',
    'net.ipv4.tcp_rmem',
    'net.ipv4.tcp_wmem',
    'net.ipv4.tcp_no_metrics_save',
    'net.ipv4.ip_local_port_range',
  ]) {
    assert.ok(typeof v[k] === 'string' && v[k] !== '', `missing ${k}`);
  }
  assert.equal(v['net.ipv4.tcp_no_metrics_save'], '1');
  assert.match(v['net.ipv4.tcp_rmem'] ?? '', /^\d+ \d+ \d+$/);

  const newKa = rootBefore.ka === '77' ? '78' : '77';
  const newSsai = rootBefore.ssai === '0' ? '1' : '0';
  await setNamespaceSysctls(n.clientNs, {
    'net.ipv4.tcp_keepalive_time': newKa,
    'net.ipv4.tcp_slow_start_after_idle': newSsai,
    'net.ipv4.tcp_rmem': '4096 65536 1048576',
    'net.ipv4.tcp_congestion_control': 'reno',
  });
  const c = await readNamespaceSysctls(n.clientNs);
  assert.equal(c['net.ipv4.tcp_keepalive_time'], newKa);
  assert.equal(c['net.ipv4.tcp_slow_start_after_idle'], newSsai);
  assert.equal(c['net.ipv4.tcp_rmem'], '4096 65536 1048576');
  assert.equal(c['net.ipv4.tcp_congestion_control'], 'reno');
  // The other namespace and the root namespace keep theirs.
  const s = await readNamespaceSysctls(n.serverNs);
  assert.notEqual(s['net.ipv4.tcp_keepalive_time'], newKa);
  assert.equal(rootSysctl('net.ipv4.tcp_slow_start_after_idle'), rootBefore.ssai);
  assert.equal(rootSysctl('net.ipv4.tcp_keepalive_time'), rootBefore.ka);
  assert.equal(rootSysctl('net.ipv4.tcp_congestion_control'), rootBefore.cc);
  assert.equal(rootSysctl('net.ipv4.tcp_rmem'), rootBefore.rmem);
});

test('a congestion control the host does not allow is a UserError naming the allowed list', async (t) => {
  if (!requirePrivileged(t)) return;
  const allowed = rootSysctl('net.ipv4.tcp_allowed_congestion_control').split(' ');
  const notAllowed = ['cubic', 'vegas', 'westwood', 'htcp', 'dctcp'].find((c) => !allowed.includes(c));
  if (!notAllowed) return t.skip('every candidate congestion control is allowed on this host');
  const n = await createNamespaces(newRunId());
  t.after(() => destroyNamespaces(n));
  await assert.rejects(
    setNamespaceSysctls(n.clientNs, { 'net.ipv4.tcp_congestion_control': notAllowed }),
    (e: unknown) =>
      e instanceof UserError &&
      e.message.includes('tcp_allowed_congestion_control') &&
      e.message.includes(notAllowed) &&
      !e.message.includes('\n'),
  );
});

test('route initcwnd/initrwnd are set and cleared with ip route change', async (t) => {
  if (!requirePrivileged(t)) return;
  const n = await createNamespaces(newRunId());
  t.after(() => destroyNamespaces(n));
  // A veth pair gives the client namespace a connected route to work on.
  await run([
    'ip',
    'link',
    'add',
    n.clientDev,
    'netns',
    n.clientNs,
    'type',
    'veth',
    'peer',
    'name',
    n.serverDev,
    'netns',
    n.serverNs,
  ]);
  await run(['ip', '-n', n.clientNs, 'addr', 'add', `${n.clientAddr}/24`, 'dev', n.clientDev]);
  await run(['ip', '-n', n.clientNs, 'link', 'set', 'dev', n.clientDev, 'up']);
  const route = () => readRouteInitcwnd(n.clientNs).then((rs) => rs.find((r) => r.dev === n.clientDev));
  assert.deepEqual(await route(), { dst: '198.18.0.0/24', dev: n.clientDev, initcwnd: null, initrwnd: null });
  await setRouteInitcwnd(n.clientNs, n.clientDev, 4, 20);
  assert.deepEqual(await route(), { dst: '198.18.0.0/24', dev: n.clientDev, initcwnd: 4, initrwnd: 20 });
  await setRouteInitcwnd(n.clientNs, n.clientDev, 30, null);
  assert.deepEqual(await route(), { dst: '198.18.0.0/24', dev: n.clientDev, initcwnd: 30, initrwnd: null });
  await setRouteInitcwnd(n.clientNs, n.clientDev, null, null);
  assert.deepEqual(await route(), { dst: '198.18.0.0/24', dev: n.clientDev, initcwnd: null, initrwnd: null });
  await assert.rejects(setRouteInitcwnd(n.clientNs, n.clientDev, 0, null), UserError);
});

test('processAlive: own pid alive, wrong start time or dead pid not', async () => {
  assert.ok(processAlive(process.pid, processStartTicks(process.pid)));
  assert.ok(processAlive(process.pid, null));
  assert.ok(!processAlive(process.pid, (processStartTicks(process.pid) ?? 0) + 1));
  const done = execa('true');
  await done;
  assert.ok(!processAlive(done.pid as number, null));
  assert.ok(!processAlive(-1, null));
});
