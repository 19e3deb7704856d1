import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsInBrief, unmetNeeds } from '../../../bench/scenarios/needs.ts';
import { DEFINITIONS, definitionOf } from '../../../bench/scenarios/definitions.ts';
import type { Link } from '../../../netem/link.ts';
import { HARNESS_OFFER, HARNESS_ROUTES, userRoutes, type ServerOffer } from '../../../servers/under-test.ts';

type LinkFacts = Pick<Link, 'capabilities' | 'clientNetns' | 'serverNetns' | 'tuning' | 'controls'>;

const TUN: LinkFacts = {
  capabilities: { real_packets: true, drops_packets: true, configurable: true, connect_crosses_link: true },
  clientNetns: 'kab-x-c',
  serverNetns: 'kab-x-s',
  tuning: {} as NonNullable<Link['tuning']>,
  controls: {} as NonNullable<Link['controls']>,
};
const NONE: LinkFacts = {
  capabilities: { real_packets: false, drops_packets: false, configurable: true, connect_crosses_link: true },
  clientNetns: null,
  serverNetns: null,
  tuning: null,
  controls: null,
};
/** A server that answers one path and offers nothing else (a user's server with --path). */
const ONE_PATH: ServerOffer = {
  routes: userRoutes({ path: '/', size_bytes: 612 }),
  stats: false,
  process: true,
  configurable: false,
};

test('needs: every scenario can run with the harness servers on a namespace link', () => {
  for (const d of DEFINITIONS) assert.deepEqual(unmetNeeds(d.needs, TUN, HARNESS_OFFER), [], d.name);
});

test('needs: slow start on a link without namespaces names each link capability it lacks', () => {
  const unmet = unmetNeeds(definitionOf('slowstart')?.needs, NONE, HARNESS_OFFER);
  assert.equal(unmet.length, 3);
  assert.match(unmet[0] ?? '', /real packets/);
  assert.match(unmet[1] ?? '', /namespaces of its own/);
  assert.match(unmet[2] ?? '', /per-run sysctls/);
});

test('needs: a server with one path runs handshake, policy, hol and cost (whose parts skip themselves); the others say what is missing', () => {
  const unmet = (name: string): string[] => unmetNeeds(definitionOf(name)?.needs, TUN, ONE_PATH);
  assert.deepEqual(unmet('handshake'), []);
  assert.deepEqual(unmet('policy'), []);
  assert.deepEqual(unmet('hol'), []);
  assert.deepEqual(unmet('slowstart'), ['routes for responses of given sizes (--paths)']);
  assert.deepEqual(unmetNeeds({ server: ['slow_route'] }, TUN, ONE_PATH), [
    'a route for a slow response (--slow-path)',
  ]);
  const withSlow: ServerOffer = {
    ...ONE_PATH,
    routes: userRoutes({ path: '/', size_bytes: 612 }, [], { path: '/slow', size_bytes: 5 }),
  };
  assert.deepEqual(unmetNeeds({ server: ['slow_route'] }, TUN, withSlow), []);
  assert.deepEqual(unmet('cost'), [], 'cost reads a user server process tree from /proc');
  assert.deepEqual(unmetNeeds(definitionOf('cost')?.needs, TUN, { ...ONE_PATH, process: false }), [
    'a server process the harness can observe or signal (not --target)',
  ]);
  assert.ok(unmet('lifecycle').some((u) => /timeouts and limits/.test(u)));
});

test('needs: a closing route needs a sized one to close after; no needs means none unmet', () => {
  const closes: ServerOffer = { ...HARNESS_OFFER, routes: { ...HARNESS_ROUTES, sized: () => null } };
  assert.equal(unmetNeeds({ server: ['closing_route'] }, TUN, closes).length, 1);
  assert.deepEqual(unmetNeeds({ server: ['closing_route'] }, TUN, HARNESS_OFFER), []);
  assert.deepEqual(unmetNeeds(undefined, NONE, ONE_PATH), []);
  assert.deepEqual(unmetNeeds({ link: ['controls', 'drops_packets'] }, NONE, HARNESS_OFFER).length, 2);
});

test('needs in brief, for --list', () => {
  assert.equal(needsInBrief(undefined), 'nothing beyond a server that answers');
  assert.equal(
    needsInBrief({ link: ['real_packets', 'tuning'], server: ['sized_route'] }),
    'link real_packets, tuning; server sized_route',
  );
});
