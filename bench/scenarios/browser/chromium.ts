/**
 * Chromium for the browser scenario: the system's own binary (no browser is downloaded), found where Debian
 * puts it or at $KAB_CHROMIUM, driven through playwright-core and run inside the client namespace, trusting
 * exactly the servers' certificates (by their public keys: verification stays on for everything else).
 */
import { existsSync } from 'node:fs';
import { UserError } from '../../../lib/errors.ts';
import { createHash, X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'] as const;

/** The Chromium binary: $KAB_CHROMIUM if set, else the first of CHROMIUM_PATHS that exists; null when none. */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
): string | null {
  const given = env.KAB_CHROMIUM;
  if (given !== undefined && given !== '') return exists(given) ? given : null;
  return CHROMIUM_PATHS.find((p) => exists(p)) ?? null;
}

/** Why the scenario cannot run without Chromium, in words for its "skipped" row. */
export function chromiumMissing(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.KAB_CHROMIUM;
  return given
    ? `Chromium at KAB_CHROMIUM=${given}, which does not exist`
    : `Chromium (${CHROMIUM_PATHS.join(' or ')}; Debian/Ubuntu: apt-get install chromium; or set KAB_CHROMIUM)`;
}

/** base64(SHA-256(SubjectPublicKeyInfo)) of a certificate: what --ignore-certificate-errors-spki-list takes. */
export function spkiHash(cert_pem: string): string {
  const spki = new X509Certificate(cert_pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

const SAFE_ARG = /^[A-Za-z0-9_./-]+$/;

/** The launcher that execs Chromium inside a network namespace (a file of the package: nothing to clean up). */
export const NETNS_LAUNCHER = fileURLToPath(new URL('./chromium-in-netns.sh', import.meta.url));

/**
 * How Playwright starts Chromium inside network namespace `netns`: the launcher, and the environment it reads.
 * Refuses a binary path or namespace name with characters a shell or `ip` could read otherwise.
 */
export function inNetnsLaunch(chromium: string, netns: string): { executable: string; env: Record<string, string> } {
  for (const [what, v] of [
    ['Chromium path', chromium],
    ['namespace', netns],
  ] as const) {
    if (!SAFE_ARG.test(v))
      throw new Error(`refusing to run Chromium: the ${what} ${JSON.stringify(v)} has unsafe characters`);
  }
  return { executable: NETNS_LAUNCHER, env: { CHROMIUM_NETNS: netns, CHROMIUM_BIN: chromium } };
}

export interface ChromiumOptions {
  /** The binary, or a launcher of it (inNetnsLaunch). */
  executable: string;
  /** Added to the environment Chromium (or its launcher) starts with. */
  env?: Record<string, string>;
  /** Public-key hashes (spkiHash) of the certificates to trust. */
  trusted_spki: readonly string[];
}

/** A new browser: its own profile, so nothing (connections, TLS sessions, cache) carries over from another. */
export async function launchChromium(o: ChromiumOptions): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: o.executable,
    env: { ...process.env, ...o.env },
    // Playwright's own signal handlers would close the browser and exit the process before the run's teardown
    // removes its namespaces: the run's handlers close it (ScenarioContext.onEnd) instead.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      `--ignore-certificate-errors-spki-list=${o.trusted_spki.join(',')}`,
      // Straight to the servers, as the harness's own client goes: no proxy from the environment.
      '--no-proxy-server',
      // Nothing but the page's own requests on the link (Playwright already turns background networking off).
      '--disable-domain-reliability',
      '--no-pings',
    ],
  });
}
