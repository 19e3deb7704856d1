/**
 * The `keepalive-bench` command from a packed tarball, installed into a scratch project as another project would
 * (`npm install <tarball>`; the package is not published): its bin runs a handshake run from that project's folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/run-cli.ts';

test(
  'npm pack, npm install <tarball> in another project, npx keepalive-bench bench: a run in that project',
  { timeout: 300_000 },
  (t) => {
    const scratch = mkdtempSync(join(tmpdir(), 'kab-scratch-'));
    t.after(() => rmSync(scratch, { recursive: true, force: true }));
    const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], {
      cwd: REPO,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .at(-1)!;
    const tarball = join(scratch, packed);
    assert.ok(existsSync(tarball), `npm pack wrote ${tarball}`);
    const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    assert.match(listed, /package\/bin\/keepalive-bench\.mjs/);
    assert.doesNotMatch(listed, /package\/test\//, 'the tests stay out of the package');

    const project = join(scratch, 'project');
    execFileSync('mkdir', [project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, version: '1.0.0' }));
    // From npm's cache where it can (npm ci filled it); the registry otherwise.
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', tarball], {
      cwd: project,
      stdio: 'inherit',
    });

    const runPackedCommand = (args: string[], timeout = 60_000) =>
      spawnSync('npx', ['keepalive-bench', ...args], { cwd: project, encoding: 'utf8', timeout });
    const help = runPackedCommand(['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /usage: keepalive-bench <command>/);
    const wrong = runPackedCommand(['nope']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /unknown command "nope"/);

    const run = spawnSync(
      'npx',
      ['keepalive-bench', 'bench', '--quick', '--link', 'none', '--profile', 'loopback', '--scenario', 'handshake'],
      { cwd: project, encoding: 'utf8', timeout: 240_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    const results = join(project, 'results');
    const runs = readdirSync(results).filter((d) => /^\d{8}T\d{6}Z-/.test(d));
    assert.equal(runs.length, 1, 'the run folder is in the project, under results/');
    const dir = join(results, runs[0]!);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {
      versions: Record<string, string>;
      harness_version: string;
    };
    assert.match(meta.versions.tsx ?? '', /^\d+\.\d+/, 'dependency versions found where npm hoisted them');
    assert.equal(meta.harness_version, JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
    assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /\| C1 /);
    assert.ok(existsSync(join(dir, 'report.html')));
    assert.ok(!Object.values(meta.versions).includes('missing'), JSON.stringify(meta.versions));

    const report = runPackedCommand(['report', dir]);
    assert.equal(report.status, 0, report.stderr);
  },
);
