/**
 * Claims C4 and C5: head-of-line blocking. First, does the server answer pipelined requests at all
 * (pipelining.ts). Part 1 (application level, app.ts): a slow first response blocks the ones pipelined behind it
 * on HTTP/1.1, not HTTP/2 streams nor separate connections. Part 2 (transport level, transport.ts): over a lossy
 * link one lost packet stalls every HTTP/2 stream of its single TCP connection; where does h1 on 6 connections
 * overtake h2 on 1? Part 3 (load.ts): throughput and latency under load. A server under test that speaks one
 * protocol, or lacks a route, gets the parts it can serve; the others are recorded as skipped.
 */
import type { Scenario, ScenarioContext } from '../types.ts';
import { startHolServers } from './common.ts';
import { appPlannedUnits, runAppPart } from './app.ts';
import { runTransportPart, transportPlannedUnits } from './transport.ts';
import { loadPlannedUnits, runLoadPart } from './load.ts';
import { pipeliningUnits, runPipeliningCheck } from './pipelining.ts';
import { holDefinition } from './definition.ts';

export const holScenario: Scenario = {
  ...holDefinition,
  plannedUnits(options) {
    return (
      pipeliningUnits(options) + appPlannedUnits(options) + transportPlannedUnits(options) + loadPlannedUnits(options)
    );
  },
  async run(ctx: ScenarioContext) {
    const servers = await startHolServers(ctx);
    if (servers.h1 !== undefined) await runPipeliningCheck(ctx, servers.h1);
    if (!ctx.signal.aborted) await runAppPart(ctx, servers);
    if (!ctx.signal.aborted) await runTransportPart(ctx, servers);
    if (!ctx.signal.aborted) await runLoadPart(ctx, servers);
  },
};
