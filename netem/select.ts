/** Chooses and opens the link backend (`--link auto|tc|tun|proxy|none`) and says why. */
import { UserError, errorMessage } from '../lib/errors.ts';
import { LINK_BACKENDS, type Link, type LinkBackendName, type LinkChoice, type LinkOpenOptions } from './link.ts';
import { openNoneLink } from './none.ts';
import { addsNothing, validateLinkParams } from './profiles.ts';
import { openProxyLink } from './proxy.ts';
import { openTcLink, tcNetemUnavailableReason } from './tc.ts';
import { openTunLink, tunUnavailableReason } from './tun.ts';

/** Each probe answers null when the backend can run here, else why not. Injectable for tests. */
export type LinkProbes = Record<LinkBackendName, () => string | null | Promise<string | null>>;
export type LinkOpeners = Record<LinkBackendName, (opts: LinkOpenOptions) => Promise<Link>>;

export interface SelectDeps {
  probes: LinkProbes;
  openers: LinkOpeners;
}

export const defaultSelectDeps: SelectDeps = {
  probes: {
    tc: tcNetemUnavailableReason,
    tun: tunUnavailableReason,
    proxy: () => null,
    none: () => null,
  },
  openers: {
    tc: openTcLink,
    tun: openTunLink,
    proxy: openProxyLink,
    none: openNoneLink,
  },
};

/** What each backend needs and what to do instead, for the one-line error when it cannot run. */
const NEEDS: Record<LinkBackendName, string> = {
  tc: 'it needs root and the sch_netem kernel module: run with sudo (and modprobe sch_netem), or use --link tun or --link proxy',
  tun: 'it needs root, /dev/net/tun and koffi (glibc): run with sudo, or use --link proxy',
  proxy: 'it needs only loopback TCP: check that this process may listen on 127.0.0.1',
  none: 'it needs only loopback TCP',
};

async function probe(fn: () => string | null | Promise<string | null>): Promise<string | null> {
  try {
    return await fn();
  } catch (e) {
    return `probe failed: ${errorMessage(e)}`;
  }
}

/** null = usable here, else the reason it is not. */
export async function linkAvailability(
  probes: LinkProbes = defaultSelectDeps.probes,
): Promise<Record<LinkBackendName, string | null>> {
  const reasons = await Promise.all(LINK_BACKENDS.map((b) => probe(probes[b])));
  const out = {} as Record<LinkBackendName, string | null>;
  LINK_BACKENDS.forEach((b, i) => {
    out[b] = reasons[i] ?? null;
  });
  return out;
}

/** The backend `auto` takes with these availabilities, and why; UserError when none can emulate the params. */
export function chooseAuto(
  params: LinkOpenOptions['params'],
  availability: Record<LinkBackendName, string | null>,
): { backend: LinkBackendName; why: string } {
  if (addsNothing(params) && availability.none === null) {
    return { backend: 'none', why: 'auto: none (the profile adds no delay, loss or rate limit: plain loopback)' };
  }
  if (availability.tc === null) return { backend: 'tc', why: 'auto: tc (tc netem works here)' };
  const skipped = [`tc unavailable: ${availability.tc}`];
  if (availability.tun === null) return { backend: 'tun', why: `auto: tun (${skipped.join('; ')})` };
  skipped.push(`tun unavailable: ${availability.tun}`);
  if (params.loss_pct > 0) {
    throw new UserError(
      `auto: ${params.loss_pct} % packet loss needs --link tc or tun, and neither can run here (${skipped.join('; ')}); run with sudo, or set --loss 0 to use the proxy link`,
    );
  }
  if (availability.proxy === null) return { backend: 'proxy', why: `auto: proxy (${skipped.join('; ')})` };
  skipped.push(`proxy unavailable: ${availability.proxy}`);
  throw new UserError(`auto: no link backend can run here (${skipped.join('; ')})`);
}

export async function openLink(
  choice: LinkChoice,
  opts: LinkOpenOptions,
  deps: SelectDeps = defaultSelectDeps,
): Promise<{ link: Link; why: string }> {
  validateLinkParams(opts.params);
  if (choice === 'auto') {
    const { backend, why } = chooseAuto(opts.params, await linkAvailability(deps.probes));
    return { link: await deps.openers[backend](opts), why };
  }
  if (!(LINK_BACKENDS as readonly string[]).includes(choice)) {
    throw new UserError(`unknown --link "${String(choice)}"; choose auto, ${LINK_BACKENDS.join(', ')}`);
  }
  const reason = await probe(deps.probes[choice]);
  if (reason !== null) throw new UserError(`--link ${choice} cannot run here: ${reason}; ${NEEDS[choice]}`);
  return { link: await deps.openers[choice](opts), why: `--link ${choice} (asked for)` };
}
