/**
 * What a scenario needs of the link and of the server under test (its definition's `needs`), checked before it
 * runs: a scenario whose needs are not met records "skipped: needs …" and writes no rows, instead of failing
 * half-way through with part of its matrix measured.
 */
import type { Link } from '../../netem/link.ts';
import type { ServerOffer } from '../../servers/under-test.ts';

/** What a link can be asked for (its capabilities, its namespaces, its per-run settings and live controls). */
export type LinkNeed = 'real_packets' | 'drops_packets' | 'configurable' | 'namespaces' | 'tuning' | 'controls';

/** What a server under test can be asked for. */
export type ServerNeed =
  'small_route' | 'sized_route' | 'slow_route' | 'closing_route' | 'stats' | 'process' | 'configurable';

export interface ScenarioNeeds {
  link?: readonly LinkNeed[];
  server?: readonly ServerNeed[];
}

const LINK_NEED_TEXT: Record<LinkNeed, string> = {
  real_packets: 'a link that carries real packets between kernel TCP stacks (tun or tc)',
  drops_packets: 'a link that drops packets (tun or tc)',
  configurable: 'a link whose delay, loss and rate the harness sets (not --target)',
  namespaces: 'a link with network namespaces of its own (tun or tc, root)',
  tuning: 'a link whose namespaces take per-run sysctls and routes (tun or tc, root)',
  controls: 'a link with a flow idle timeout and a blackhole (tun, or tc with iptables and conntrack)',
};

const SERVER_NEED_TEXT: Record<ServerNeed, string> = {
  small_route: 'a route for a small response (--path)',
  sized_route: 'routes for responses of given sizes (--paths)',
  slow_route: 'a route for a slow response (--slow-path)',
  closing_route: 'a route after which the server closes the connection',
  stats: 'server-side counters (connections, requests, memory)',
  process: 'a server process the harness can observe or signal (not --target)',
  configurable: "a server whose timeouts and limits the harness sets (the harness's own servers)",
};

type LinkFacts = Pick<Link, 'capabilities' | 'clientNetns' | 'serverNetns' | 'tuning' | 'controls'>;

function linkHas(link: LinkFacts, need: LinkNeed): boolean {
  switch (need) {
    case 'real_packets':
    case 'drops_packets':
    case 'configurable':
      return link.capabilities[need];
    case 'namespaces':
      return link.clientNetns !== null && link.serverNetns !== null;
    case 'tuning':
      return link.tuning !== null;
    case 'controls':
      return link.controls !== null;
  }
}

function serverHas(offer: ServerOffer, need: ServerNeed): boolean {
  switch (need) {
    case 'small_route':
      return offer.routes.small(1) !== null;
    case 'sized_route': {
      const sizes = offer.routes.sizes();
      return sizes === 'any' || sizes.length > 0;
    }
    case 'slow_route':
      return offer.routes.slow(1, 1) !== null;
    case 'closing_route': {
      const small = offer.routes.sized(1);
      return small !== null && offer.routes.closing(small) !== null;
    }
    case 'stats':
    case 'process':
    case 'configurable':
      return offer[need];
  }
}

/** Each unmet need as the words of a "skipped: needs …" row; empty when the scenario can run. */
export function unmetNeeds(needs: ScenarioNeeds | undefined, link: LinkFacts, offer: ServerOffer): string[] {
  return [
    ...(needs?.link ?? []).filter((n) => !linkHas(link, n)).map((n) => LINK_NEED_TEXT[n]),
    ...(needs?.server ?? []).filter((n) => !serverHas(offer, n)).map((n) => SERVER_NEED_TEXT[n]),
  ];
}

/** The needs in a few words, for `--list`: "link: real_packets, namespaces; server: sized_route". */
export function needsInBrief(needs: ScenarioNeeds | undefined): string {
  const parts = [
    needs?.link?.length ? `link ${needs.link.join(', ')}` : null,
    needs?.server?.length ? `server ${needs.server.join(', ')}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join('; ') : 'nothing beyond a server that answers';
}

/**
 * A need found unmet only when the scenario starts (a program it runs, such as Chromium): thrown by its run, it
 * ends the scenario as "skipped: needs …" like an unmet need of its definition.
 */
export class NeedUnmet extends Error {
  constructor(readonly need: string) {
    super(`needs ${need}`);
  }
}
