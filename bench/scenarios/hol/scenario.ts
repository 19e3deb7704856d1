/**
 * Claims C4 and C5: head-of-line blocking. Part 1 (application level): a slow first response blocks the ones
 * pipelined behind it on HTTP/1.1, not HTTP/2 streams nor separate connections. Part 2 (transport level): over
 * a lossy link one lost packet stalls every HTTP/2 stream of its single TCP connection; where does h1 on 6
 * connections overtake h2 on 1? See hol-app.ts and hol-transport.ts.
 */
import type { RunningServer, Scenario, ScenarioContext } from '../types.ts';
import { appPlannedUnits, runAppPart } from './app.ts';
import { runTransportPart, transportPlannedUnits } from './transport.ts';
import { loadPlannedUnits, runLoadPart } from './load.ts';
import { holDefinition } from './definition.ts';

export const holScenario: Scenario = {
  ...holDefinition,
  plannedUnits(options) {
    return appPlannedUnits(options) + transportPlannedUnits(options) + loadPlannedUnits(options);
  },
  async run(ctx: ScenarioContext) {
    // One server per protocol; h2 allows more concurrent streams than a page has requests.
    const servers: Record<'h1' | 'h2', RunningServer> = {
      h1: await ctx.startServer({ protocol: 'h1', tls: false }),
      h2: await ctx.startServer({ protocol: 'h2', tls: false, max_concurrent_streams: 100 }),
    };
    await runAppPart(ctx, servers);
    if (!ctx.signal.aborted) await runTransportPart(ctx, servers);
    if (!ctx.signal.aborted) await runLoadPart(ctx, servers);
  },
};
