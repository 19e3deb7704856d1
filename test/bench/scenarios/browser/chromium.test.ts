import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromiumMissing,
  findChromium,
  inNetnsLaunch,
  NETNS_LAUNCHER,
  spkiHash,
} from '../../../../bench/scenarios/browser/chromium.ts';
import { generateSelfSignedCert } from '../../../../servers/tls-cert.ts';
import { tempDir } from '../../../helpers/files.ts';

test('Chromium is $KAB_CHROMIUM when set (and only if it exists), else the first system path that exists', () => {
  const has = (paths: string[]) => (p: string) => paths.includes(p);
  assert.equal(findChromium({}, has(['/usr/bin/chromium-browser'])), '/usr/bin/chromium-browser');
  assert.equal(findChromium({}, has(['/usr/bin/chromium', '/usr/bin/chromium-browser'])), '/usr/bin/chromium');
  assert.equal(findChromium({}, has([])), null);
  assert.equal(findChromium({ KAB_CHROMIUM: '/opt/c' }, has(['/opt/c', '/usr/bin/chromium'])), '/opt/c');
  assert.equal(findChromium({ KAB_CHROMIUM: '/opt/c' }, has(['/usr/bin/chromium'])), null);
  assert.match(chromiumMissing({ KAB_CHROMIUM: '/opt/c' }), /KAB_CHROMIUM=\/opt\/c/);
  assert.match(chromiumMissing({}), /apt-get install chromium/);
});

test("the trusted key hash is base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as openssl computes it", async (t) => {
  const cert = await generateSelfSignedCert();
  const dir = tempDir(t, 'kab-spki-');
  const pem = join(dir, 'cert.pem');
  execFileSync('sh', ['-c', `cat > ${pem}`], { input: cert.cert_pem });
  const viaOpenssl = execFileSync('sh', [
    '-c',
    `openssl x509 -in ${pem} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
  ])
    .toString()
    .trim();
  assert.equal(spkiHash(cert.cert_pem), viaOpenssl);
});

test('Chromium starts inside the namespace through the packaged launcher, and names a shell would read are refused', () => {
  const l = inNetnsLaunch('/usr/bin/chromium', 'kab-c-123');
  assert.deepEqual(l.env, { CHROMIUM_NETNS: 'kab-c-123', CHROMIUM_BIN: '/usr/bin/chromium' });
  assert.equal(l.executable, NETNS_LAUNCHER);
  assert.equal(statSync(NETNS_LAUNCHER).mode & 0o111, 0o111, 'the launcher is executable');
  assert.match(readFileSync(NETNS_LAUNCHER, 'utf8'), /^exec ip netns exec "\$CHROMIUM_NETNS" "\$CHROMIUM_BIN" "\$@"$/m);
  assert.throws(() => inNetnsLaunch('/usr/bin/chromium', 'a;rm -rf /'), /unsafe characters/);
  assert.throws(() => inNetnsLaunch('/tmp/my chromium', 'kab-c'), /unsafe characters/);
});
