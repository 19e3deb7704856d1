import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

/**
 * Privileged tests (namespaces, TUN, sysctls) skip where privileges are missing — unless
 * KAB_REQUIRE_PRIVILEGED=1 (set by .ci/run), which turns every such skip into a failure.
 */
export function missingPrivilege(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  return null;
}

export function requirePrivileged(t: TestContext): boolean {
  const missing = missingPrivilege();
  if (missing === null) return true;
  if (process.env.KAB_REQUIRE_PRIVILEGED === '1') {
    throw new Error(`privileged test cannot run (${missing}) but KAB_REQUIRE_PRIVILEGED=1`);
  }
  t.skip(`needs privileges: ${missing}`);
  return false;
}

/**
 * A test that needs a program from Debian's packages (nginx, chromium) skips without it — unless
 * KAB_REQUIRE_PRIVILEGED=1: .ci/run installs every one, so a missing one there is a failure.
 */
export function requireProgram(t: TestContext, path: string, aptPackage: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.KAB_REQUIRE_PRIVILEGED === '1')
    throw new Error(`${path} is missing but KAB_REQUIRE_PRIVILEGED=1 (apt-get install ${aptPackage})`);
  t.skip(`needs ${path} (apt-get install ${aptPackage})`);
  return false;
}
