/** Named link profiles, inline link flags (`--rtt 80 --loss 0.5 ...`) and their validation. */
import { UserError } from '../lib/errors.ts';
import type { LinkParams, Profile } from './link.ts';

/** Inline link flags as they come from the command line (strings) or from code (numbers). */
export interface InlineLinkFlags {
  rtt?: string | number | undefined;
  jitter?: string | number | undefined;
  loss?: string | number | undefined;
  /** `20mbit`, `500kbit`, `1gbit`, a bare number of Mbit/s, or `none` for unlimited. */
  rate?: string | number | undefined;
  /** Drop-tail queue limit in packets, or `default`. */
  queue?: string | number | undefined;
  mtu?: string | number | undefined;
}

export const MIN_MTU_BYTES = 576;
export const MAX_MTU_BYTES = 65_535;
/** A minute: longer than any real path, and every load loop stays bounded in time. */
export const MAX_RTT_MS = 60_000;
/** 10 Gbit/s: beyond what the links here can pace (the tun link is userspace; tc's rate is 32-bit bytes/s). */
export const MAX_RATE_MBIT = 10_000;

/** A link that adds nothing: the base every profile and override starts from. */
export const DEFAULT_PARAMS: LinkParams = {
  rtt_ms: 0,
  jitter_ms: 0,
  loss_pct: 0,
  rate_mbit: null,
  queue_packets: null,
  mtu_bytes: 1500,
};

function params(p: Partial<LinkParams>): LinkParams {
  return { ...DEFAULT_PARAMS, ...p };
}

const WAN_RTT_MS = 50;

const PROFILES: readonly Profile[] = [
  {
    name: 'loopback',
    params: params({ rtt_ms: 0 }),
    source: 'no added delay: the machine itself (baseline)',
  },
  {
    name: 'lan',
    params: params({ rtt_ms: 1 }),
    source:
      'typical same-datacenter / LAN switch fabric: RTTs are usually well under 1 ms; 1 ms is a rounded upper figure',
  },
  {
    name: 'metro',
    params: params({ rtt_ms: 10 }),
    source: 'typical RTT between sites in the same metro area or neighbouring cities: roughly 5-15 ms',
  },
  {
    name: 'wan',
    params: params({ rtt_ms: WAN_RTT_MS }),
    source:
      'typical continental RTTs: intra-Europe roughly 30-50 ms, US coast-to-coast roughly 60-70 ms; 50 ms is a round middle figure',
  },
  {
    name: 'wan-100mbit',
    params: params({ rtt_ms: WAN_RTT_MS, rate_mbit: 100 }),
    source:
      "the 'wan' profile behind a 100 Mbit/s bottleneck (a common access-link rate), so transfers take time as well as round trips",
  },
  {
    name: 'intercontinental',
    params: params({ rtt_ms: 150 }),
    source: 'typical intercontinental RTTs, e.g. Europe to US West coast or transpacific: roughly 130-180 ms',
  },
  {
    name: 'mobile-3g',
    params: params({ rtt_ms: 150, rate_mbit: 1.6, loss_pct: 0.5 }),
    source:
      "Lighthouse's default mobile throttling preset ('Slow 4G', formerly 'Fast 3G', said to match WebPageTest's 'Mobile 3G - Fast'): " +
      '150 ms RTT, 1.6 Mbit/s down / 750 kbit/s up, no loss; this profile applies 1.6 Mbit/s in both directions, ' +
      "and its 0.5 % loss is this project's own assumption for a radio link, not a figure from that preset",
  },
  {
    name: 'lossy',
    params: params({ rtt_ms: WAN_RTT_MS, loss_pct: 1 }),
    source:
      "the 'wan' profile plus 1 % random loss per direction (an illustrative figure for a congested or wireless path)",
  },
];

function cloneProfile(p: Profile): Profile {
  return { name: p.name, params: { ...p.params }, source: p.source };
}

export function listProfiles(): Profile[] {
  return PROFILES.map(cloneProfile);
}

export function profileNames(): string[] {
  return PROFILES.map((p) => p.name);
}

/** The named profile; UserError listing the known names when there is none. */
export function getProfile(name: string): Profile {
  const wanted = name.trim().toLowerCase();
  const found = PROFILES.find((p) => p.name === wanted);
  if (!found) throw new UserError(`unknown profile "${name}"; known profiles: ${profileNames().join(', ')}`);
  return cloneProfile(found);
}

const RATE_UNITS_MBIT: Record<string, number> = { bit: 1e-6, kbit: 1e-3, mbit: 1, gbit: 1e3 };

/** '20mbit' | '500kbit' | '1gbit' | '20' (Mbit/s) → Mbit/s. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const factor = unit === '' ? 1 : RATE_UNITS_MBIT[unit];
  if (!m?.[1] || factor === undefined) {
    throw new UserError(`--rate "${text}" is not a rate; use e.g. 20mbit, 500kbit, 1gbit or a number of Mbit/s`);
  }
  const rate_mbit = Number(m[1]) * factor;
  if (!(rate_mbit > 0))
    throw new UserError(`--rate must be more than 0, got "${text}"; leave it out for an unlimited link`);
  return rate_mbit;
}

/** A non-negative finite number, optionally followed by the given unit suffix (e.g. '80ms', '0.5%'). */
function parseNonNegative(flag: string, value: string | number, suffix: string): number {
  let n: number;
  if (typeof value === 'number') {
    n = value;
  } else {
    let s = value.trim();
    if (suffix && s.toLowerCase().endsWith(suffix)) s = s.slice(0, -suffix.length).trim();
    // Decimal only: Number() would also take 0x10 and 1e22 (tc then fails far from the flag).
    n = /^(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : Number.NaN;
  }
  if (!Number.isFinite(n) || n < 0) {
    throw new UserError(
      `--${flag} must be a non-negative number${suffix ? ` (${suffix})` : ''}, got "${String(value)}"`,
    );
  }
  return n;
}

function parseInteger(flag: string, value: string | number, what: string): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0) throw new UserError(`--${flag} must be ${what}, got "${String(value)}"`);
  return n;
}

function isUnset(v: string | number | undefined): v is undefined {
  return v === undefined || (typeof v === 'string' && v.trim() === '');
}

/** The overrides the given flags make (only the flags present), validated one by one. */
export function inlineOverrides(inline: InlineLinkFlags): Partial<LinkParams> {
  const out: Partial<LinkParams> = {};
  if (!isUnset(inline.rtt)) out.rtt_ms = parseNonNegative('rtt', inline.rtt, 'ms');
  if (!isUnset(inline.jitter)) out.jitter_ms = parseNonNegative('jitter', inline.jitter, 'ms');
  if (!isUnset(inline.loss)) out.loss_pct = parseNonNegative('loss', inline.loss, '%');
  if (!isUnset(inline.rate)) {
    const r = inline.rate;
    if (typeof r === 'string' && /^\s*(none|unlimited)\s*$/i.test(r)) out.rate_mbit = null;
    else if (typeof r === 'number') out.rate_mbit = parseRate(String(r));
    else out.rate_mbit = parseRate(r);
  }
  if (!isUnset(inline.queue)) {
    const q = inline.queue;
    if (typeof q === 'string' && /^\s*default\s*$/i.test(q)) out.queue_packets = null;
    else {
      const n = parseInteger('queue', q, 'a whole number of packets, at least 1');
      if (n < 1) throw new UserError(`--queue must be a whole number of packets, at least 1, got "${String(q)}"`);
      out.queue_packets = n;
    }
  }
  if (!isUnset(inline.mtu)) out.mtu_bytes = parseInteger('mtu', inline.mtu, `a whole number of bytes`);
  return out;
}

/** Checks values that are wrong together or out of range; UserError with one line. */
export function validateLinkParams(p: LinkParams, what = 'link'): void {
  const nonNeg: Array<[string, number]> = [
    ['rtt', p.rtt_ms],
    ['jitter', p.jitter_ms],
    ['loss', p.loss_pct],
  ];
  for (const [flag, v] of nonNeg) {
    if (!Number.isFinite(v) || v < 0) throw new UserError(`${what}: --${flag} must be a non-negative number, got ${v}`);
  }
  if (p.rtt_ms > MAX_RTT_MS) throw new UserError(`${what}: --rtt must be at most ${MAX_RTT_MS} ms, got ${p.rtt_ms}`);
  if (p.rate_mbit !== null && p.rate_mbit > MAX_RATE_MBIT)
    throw new UserError(`${what}: --rate must be at most ${MAX_RATE_MBIT / 1000} gbit, got ${p.rate_mbit} mbit`);
  if (p.loss_pct > 100)
    throw new UserError(`${what}: --loss is a percentage and must be at most 100, got ${p.loss_pct}`);
  if (p.jitter_ms > p.rtt_ms / 2) {
    throw new UserError(
      `${what}: --jitter ${p.jitter_ms} ms is more than half the RTT (${p.rtt_ms} ms / 2 per direction); lower --jitter or raise --rtt`,
    );
  }
  if (p.rate_mbit !== null && !(Number.isFinite(p.rate_mbit) && p.rate_mbit > 0)) {
    throw new UserError(`${what}: --rate must be more than 0, got ${p.rate_mbit}; leave it out for an unlimited link`);
  }
  if (p.queue_packets !== null && !(Number.isInteger(p.queue_packets) && p.queue_packets >= 1)) {
    throw new UserError(`${what}: --queue must be a whole number of packets, at least 1, got ${p.queue_packets}`);
  }
  if (!Number.isInteger(p.mtu_bytes) || p.mtu_bytes < MIN_MTU_BYTES || p.mtu_bytes > MAX_MTU_BYTES) {
    throw new UserError(
      `${what}: --mtu must be a whole number from ${MIN_MTU_BYTES} to ${MAX_MTU_BYTES} bytes, got ${p.mtu_bytes}`,
    );
  }
}

/** A number as a short, stable string (no float noise such as 0.30000000000000004). */
function num(n: number): string {
  const r = Number(n.toPrecision(12));
  return Object.is(r, -0) ? '0' : String(r);
}

function describeOverrides(o: Partial<LinkParams>): string {
  const parts: string[] = [];
  if (o.rtt_ms !== undefined) parts.push(`rtt=${num(o.rtt_ms)}ms`);
  if (o.jitter_ms !== undefined) parts.push(`jitter=${num(o.jitter_ms)}ms`);
  if (o.loss_pct !== undefined) parts.push(`loss=${num(o.loss_pct)}%`);
  if (o.rate_mbit !== undefined) parts.push(`rate=${o.rate_mbit === null ? 'none' : `${num(o.rate_mbit)}mbit`}`);
  if (o.queue_packets !== undefined) parts.push(`queue=${o.queue_packets === null ? 'default' : num(o.queue_packets)}`);
  if (o.mtu_bytes !== undefined) parts.push(`mtu=${num(o.mtu_bytes)}`);
  return parts.join(',');
}

/**
 * `--profile a,b,c` plus inline flags → the profiles to run. Inline flags either override the one named
 * profile (`wan(loss=0.5%)`) or, with no profile named, make an inline one (`custom(rtt=80ms,loss=0.5%)`).
 */
export function parseProfiles(spec: string, inline: InlineLinkFlags = {}): Profile[] {
  const names = [
    ...new Set(
      spec
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== ''),
    ),
  ];
  const overrides = inlineOverrides(inline);
  const hasOverrides = Object.keys(overrides).length > 0;

  if (names.length === 0) {
    if (!hasOverrides) {
      throw new UserError(
        `no link profile given; use --profile with one of ${profileNames().join(', ')}, or --rtt etc.`,
      );
    }
    const p: Profile = {
      name: `custom(${describeOverrides(overrides)})`,
      params: params(overrides),
      source: 'given on the command line',
    };
    validateLinkParams(p.params, `profile ${p.name}`);
    return [p];
  }

  const profiles = names.map(getProfile);
  if (hasOverrides) {
    if (profiles.length > 1) {
      throw new UserError(
        `--rtt/--jitter/--loss/--rate/--queue/--mtu override a single profile, but --profile names ${profiles.length}; name one, or none for a custom profile`,
      );
    }
    const base = profiles[0];
    if (!base) throw new Error('unreachable: one profile expected');
    const desc = describeOverrides(overrides);
    const p: Profile = {
      name: `${base.name}(${desc})`,
      params: { ...base.params, ...overrides },
      source: `${base.source}; overridden on the command line: ${desc}`,
    };
    validateLinkParams(p.params, `profile ${p.name}`);
    return [p];
  }
  for (const p of profiles) validateLinkParams(p.params, `profile ${p.name}`);
  return profiles;
}

/** A stable compact string of the parameters (runs are joined on it); independent of the profile's name. */
export function profileKey(p: LinkParams): string {
  return [
    `rtt=${num(p.rtt_ms)}ms`,
    `jitter=${num(p.jitter_ms)}ms`,
    `loss=${num(p.loss_pct)}%`,
    `rate=${p.rate_mbit === null ? 'inf' : `${num(p.rate_mbit)}mbit`}`,
    `queue=${p.queue_packets === null ? 'default' : num(p.queue_packets)}`,
    `mtu=${num(p.mtu_bytes)}`,
  ].join(';');
}

/** True when the parameters add nothing a plain loopback connection does not have (MTU aside). */
export function addsNothing(p: LinkParams): boolean {
  return p.rtt_ms === 0 && p.jitter_ms === 0 && p.loss_pct === 0 && p.rate_mbit === null;
}
