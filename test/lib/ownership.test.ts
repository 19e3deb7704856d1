/** Handing what a sudo run wrote to the invoking user: never through a symlink, never what it did not create. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invokingUser, ownToInvokingUser } from '../../lib/ownership.ts';
import { requirePrivileged } from '../helpers/privileged.ts';
import { ownerOf, tempDir } from '../helpers/files.ts';

const USER = { uid: 65534, gid: 65534 };
const FOREIGN = 12345;

const tmp = (t: { after: (fn: () => void) => void }): string => tempDir(t, 'kab-ownership-');

const owner = ownerOf;

test('the invoking user: root with SUDO_UID and SUDO_GID both digits, else nobody', () => {
  assert.deepEqual(invokingUser({ SUDO_UID: '1000', SUDO_GID: '1001' }, 0), { uid: 1000, gid: 1001 });
  assert.equal(invokingUser({ SUDO_UID: '1000', SUDO_GID: '1001' }, 1000), null, 'not root: nothing to change');
  assert.equal(invokingUser({ SUDO_UID: '1000' }, 0), null);
  assert.equal(invokingUser({ SUDO_GID: '1000' }, 0), null);
  assert.equal(invokingUser({}, 0), null);
  assert.equal(invokingUser({ SUDO_UID: '0', SUDO_GID: '0' }, 0), null, 'sudo from root');
  for (const bad of ['', '-1', '10 0', '1e3', '0x10', ' 1000', '1000\n', '4294967295', '99999999999'])
    assert.equal(invokingUser({ SUDO_UID: bad, SUDO_GID: '1000' }, 0), null, JSON.stringify(bad));
  assert.equal(invokingUser({ SUDO_UID: '1000', SUDO_GID: 'staff' }, 0), null);
});

test('without an invoking user nothing is changed', (t) => {
  const root = tmp(t);
  writeFileSync(join(root, 'f'), 'x');
  assert.deepEqual(ownToInvokingUser(join(root, 'f'), root, { user: null }), []);
  assert.equal(owner(join(root, 'f')), `${process.getuid?.()}:${process.getgid?.()}`);
});

test('a folder is handed over with what this process created in it; links are changed, never followed', (t) => {
  if (!requirePrivileged(t)) return;
  const root = tmp(t);
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'x');
  const out = join(root, 'out');
  const run = join(out, 'run');
  mkdirSync(join(run, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(run, 'meta.json'), '{}');
  writeFileSync(join(run, 'sub', 'deeper', 'samples.csv'), 'a\n');
  symlinkSync(outside, join(run, 'to-outside'));
  symlinkSync(join(outside, 'secret'), join(run, 'sub', 'to-secret'));
  writeFileSync(join(run, 'theirs'), 'x');
  chownSync(join(run, 'theirs'), FOREIGN, FOREIGN);

  assert.deepEqual(ownToInvokingUser(run, out, { walk: true, user: USER }), []);
  for (const p of ['', 'meta.json', 'sub', 'sub/deeper', 'sub/deeper/samples.csv', 'to-outside', 'sub/to-secret'])
    assert.equal(owner(join(run, p)), '65534:65534', p);
  assert.equal(owner(join(run, 'theirs')), `${FOREIGN}:${FOREIGN}`, 'not created by this process');
  assert.equal(owner(outside), '0:0', 'a link’s target keeps its owner');
  assert.equal(owner(join(outside, 'secret')), '0:0');
  assert.equal(owner(out), '0:0', 'the folder holding the run is not part of it');
});

test('without walk only the path itself changes; a link at the path is changed, not its target', (t) => {
  if (!requirePrivileged(t)) return;
  const root = tmp(t);
  mkdirSync(join(root, 'run'));
  writeFileSync(join(root, 'run', 'f'), 'x');
  symlinkSync('run', join(root, 'latest'));
  assert.deepEqual(ownToInvokingUser(join(root, 'latest'), root, { user: USER }), []);
  assert.equal(owner(join(root, 'latest')), '65534:65534');
  assert.equal(owner(join(root, 'run')), '0:0');
  assert.deepEqual(ownToInvokingUser(join(root, 'run'), root, { user: USER }), []);
  assert.equal(owner(join(root, 'run')), '65534:65534');
  assert.equal(owner(join(root, 'run', 'f')), '0:0');
});

test('a link is handed over only while it points where the caller says (latest, still at this run)', (t) => {
  if (!requirePrivileged(t)) return;
  const root = tmp(t);
  symlinkSync('run-b', join(root, 'latest'));
  assert.deepEqual(ownToInvokingUser(join(root, 'latest'), root, { user: USER, linkTarget: 'run-a' }), []);
  assert.equal(owner(join(root, 'latest')), '0:0', 'another run’s link');
  assert.deepEqual(ownToInvokingUser(join(root, 'latest'), root, { user: USER, linkTarget: 'run-b' }), []);
  assert.equal(owner(join(root, 'latest')), '65534:65534');
});

test('nothing outside the given folder, also through a symlinked parent', (t) => {
  if (!requirePrivileged(t)) return;
  const root = tmp(t);
  mkdirSync(join(root, 'out'));
  mkdirSync(join(root, 'elsewhere'));
  writeFileSync(join(root, 'elsewhere', 'f'), 'x');
  symlinkSync(join(root, 'elsewhere'), join(root, 'out', 'link'));
  const problems = ownToInvokingUser(join(root, 'out', 'link', 'f'), join(root, 'out'), { user: USER });
  assert.match(problems.join('\n'), /elsewhere\/f is outside .*\/out: not handed over/);
  assert.equal(owner(join(root, 'elsewhere', 'f')), '0:0');
  assert.match(ownToInvokingUser('/etc/passwd', join(root, 'out'), { user: USER }).join(''), /is outside/);
  assert.equal(owner('/etc/passwd'), '0:0');
});

test('nothing below a folder another user could change meanwhile (swap a folder for a symlink)', (t) => {
  if (!requirePrivileged(t)) return;
  const root = tmp(t);
  for (const [name, uid, mode] of [
    ['theirs', FOREIGN, 0o755],
    ['world', 0, 0o777],
    ['group', 0, 0o775],
  ] as const) {
    const dir = join(root, name);
    mkdirSync(join(dir, 'run'), { recursive: true });
    writeFileSync(join(dir, 'run', 'f'), 'x');
    chownSync(dir, uid, name === 'group' ? FOREIGN : 0);
    chmodSync(dir, mode);
    const problems = ownToInvokingUser(join(dir, 'run'), dir, { walk: true, user: USER });
    assert.match(problems.join('\n'), new RegExp(`${name} \\(uid ${uid}, .*\\) may be changed by another user`), name);
    assert.equal(owner(join(dir, 'run', 'f')), '0:0', name);
    assert.equal(owner(join(dir, 'run')), '0:0', name);
  }
  // Sticky (like /tmp), or group-writable by root's group: fine. (The invoking user's own group is not: it may be
  // shared, see the hard-link test.)
  const sticky = join(root, 'sticky');
  mkdirSync(join(sticky, 'run'), { recursive: true });
  chmodSync(sticky, 0o1777);
  const rootGroup = join(root, 'root-group');
  mkdirSync(join(rootGroup, 'run'), { recursive: true });
  chownSync(rootGroup, 0, 0);
  chmodSync(rootGroup, 0o775);
  for (const dir of [sticky, rootGroup]) {
    assert.deepEqual(ownToInvokingUser(join(dir, 'run'), dir, { walk: true, user: USER }), []);
    assert.equal(owner(join(dir, 'run')), '65534:65534');
  }
});

test('a path that is not there is nothing to do', (t) => {
  const root = tmp(t);
  assert.deepEqual(ownToInvokingUser(join(root, 'gone'), root, { user: USER, walk: true }), []);
  assert.deepEqual(ownToInvokingUser(join(root, 'no', 'such', 'dir'), root, { user: USER }), []);
});

test('a hard-linked file is left as it is (its other name may be anyone’s); a group-writable folder of the user’s group is not trusted', (t) => {
  if (!requirePrivileged(t)) return;
  const root = tmp(t);
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'x');
  const run = join(root, 'run');
  mkdirSync(run);
  writeFileSync(join(run, 'own'), 'x');
  linkSync(join(outside, 'secret'), join(run, 'linked'));
  const problems = ownToInvokingUser(run, root, { user: USER, walk: true });
  assert.equal(owner(join(run, 'own')), '65534:65534');
  assert.equal(owner(join(outside, 'secret')), '0:0', 'the inode behind the hard link keeps its owner');
  assert.ok(
    problems.some((p) => /hard links/.test(p)),
    problems.join('; '),
  );
  // The user's own group may be shared by others: a folder writable by it is not safe to walk below.
  const shared = join(root, 'shared');
  mkdirSync(shared);
  chownSync(shared, 0, USER.gid);
  chmodSync(shared, 0o775);
  writeFileSync(join(shared, 'f'), 'x');
  const refused = ownToInvokingUser(join(shared, 'f'), root, { user: USER });
  assert.equal(owner(join(shared, 'f')), '0:0');
  assert.match(refused.join('; '), /may be changed by another user/);
});
