import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../lib/errors.ts';
import { compareArgs, gateRuns, parseGateArgs } from '../../../scripts/gate/plan.ts';
import { parseOutputs, substitute } from '../../../scripts/gate/run-action-locally.ts';

test('gate options: head and base commands or a stored baseline, sizes, runs; paths made absolute', () => {
  const o = parseGateArgs(
    ['--head-cmd', 'nginx -c h.conf', '--base-cmd', 'nginx -c b.conf', '--head-dir', 'head'],
    '/w',
  );
  assert.ok(o !== 'help');
  assert.deepEqual([o.size, o.scenarios, o.link, o.threshold, o.runs], ['ci', 'handshake', 'auto', '5%', 1]);
  assert.deepEqual([o.head_dir, o.base_dir, o.out], ['/w/head', '/w', '/w/results/gate']);
  assert.throws(() => parseGateArgs(['--base-cmd', 'x'], '/w'), /--head-cmd is required/);
  assert.throws(() => parseGateArgs(['--head-cmd', 'x'], '/w'), /give one of --base-cmd/);
  assert.throws(
    () => parseGateArgs(['--head-cmd', 'x', '--base-cmd', 'y', '--baseline', 'r'], '/w'),
    /give one of --base-cmd/,
  );
  assert.throws(() => parseGateArgs(['--head-cmd', 'x', '--base-cmd', 'y', '--size', 'huge'], '/w'), UserError);
  assert.throws(() => parseGateArgs(['--head-cmd', 'x', '--base-cmd', 'y', '--runs', '0'], '/w'), /--runs must be/);
  // Empty inputs of the action are "not given".
  const e = parseGateArgs(['--head-cmd', 'x', '--base-cmd', 'y', '--path', '', '--profile', ''], '/w');
  assert.ok(e !== 'help' && e.path === null && e.profiles === null);
  assert.equal(parseGateArgs(['--help'], '/w'), 'help');
});

test('gate runs alternate base and head, each with the same bench options; compare gets them in order', () => {
  const o = parseGateArgs(
    [
      '--head-cmd',
      'H',
      '--base-cmd',
      'B',
      '--runs',
      '2',
      '--server-port',
      '8080',
      '--path',
      '/small',
      '--profile',
      'lan',
      '--out',
      'g',
    ],
    '/w',
  );
  assert.ok(o !== 'help');
  const runs = gateRuns(o);
  assert.deepEqual(
    runs.map((r) => `${r.side}-${r.index}`),
    ['base-1', 'head-1', 'base-2', 'head-2'],
  );
  assert.deepEqual(runs[1]?.args, [
    'bench',
    '--server-cmd',
    'H',
    '--server-port',
    '8080',
    '--path',
    '/small',
    '--profile',
    'lan',
    '--ci',
    '--scenario',
    'handshake',
    '--link',
    'auto',
    '--out',
    '/w/g/runs/head-1',
  ]);
  assert.deepEqual(compareArgs(o, runs), [
    'compare',
    '--base',
    '/w/g/runs/base-1/latest,/w/g/runs/base-2/latest',
    '--head',
    '/w/g/runs/head-1/latest,/w/g/runs/head-2/latest',
    '--threshold',
    '5%',
    '--out',
    '/w/g/compare',
  ]);
  const stored = parseGateArgs(['--head-cmd', 'H', '--baseline', 'a,/abs/b', '--size', 'standard'], '/w');
  assert.ok(stored !== 'help');
  const sr = gateRuns(stored);
  assert.deepEqual(
    sr.map((r) => r.side),
    ['head'],
  );
  assert.ok(!sr[0]!.args.includes('--standard'), 'the standard size has no flag');
  assert.deepEqual(compareArgs(stored, sr).slice(1, 3), ['--base', '/w/a,/abs/b']);
});

test('running the action locally: expressions and GITHUB_OUTPUT as the runner has them', () => {
  const ctx = { 'inputs.size': 'ci', 'steps.gate.outputs.exit-code': '1' };
  assert.equal(substitute('--size ${{ inputs.size }} (${{steps.gate.outputs.exit-code}})', ctx), '--size ci (1)');
  assert.throws(() => substitute('${{ secrets.TOKEN }}', ctx), /cannot evaluate/);
  assert.deepEqual(parseOutputs('verdict=fail\nexit-code=1\ncompare-json=/a=b\n'), {
    verdict: 'fail',
    'exit-code': '1',
    'compare-json': '/a=b',
  });
});
