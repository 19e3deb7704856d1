/**
 * Joins the cases of the base and head runs on their stable case key (scenario + parameters + profile).
 * Profiles are paired first — by name, then by identical parameters, then the single one left on each side —
 * so that `--profile lan` against `--profile lan --rtt 2` (named "lan(rtt=2ms)") still lines up case by case;
 * whether such a pair may be compared is comparability.ts's question, not this one's.
 */
import type { RunCases } from './run-cases.ts';
import type { CaseRun, JoinedCase, ProfilePair } from './types.ts';

function uniqueInOrder(lists: readonly string[][]): string[] {
  const out: string[] = [];
  for (const l of lists) for (const x of l) if (!out.includes(x)) out.push(x);
  return out;
}

function keysOf(runs: readonly RunCases[], profile: string): Set<string | null> {
  return new Set(
    runs.filter((r) => r.profiles.includes(profile)).map((r) => r.profile_facts.get(profile)?.key ?? null),
  );
}

function sameSingleKey(a: Set<string | null>, b: Set<string | null>): boolean {
  const [ka] = [...a];
  const [kb] = [...b];
  return a.size === 1 && b.size === 1 && ka !== null && ka !== undefined && ka === kb;
}

export function pairProfiles(base: readonly RunCases[], head: readonly RunCases[]): ProfilePair[] {
  const baseNames = uniqueInOrder(base.map((r) => r.profiles));
  const headNames = uniqueInOrder(head.map((r) => r.profiles));
  const pairs: ProfilePair[] = [];
  const leftBase = baseNames.filter((b) => {
    if (!headNames.includes(b)) return true;
    pairs.push({ base: b, head: b, by: 'name' });
    return false;
  });
  let leftHead = headNames.filter((h) => !baseNames.includes(h));
  const stillBase: string[] = [];
  for (const b of leftBase) {
    const bk = keysOf(base, b);
    const match = leftHead.filter((h) => sameSingleKey(bk, keysOf(head, h)));
    const h = match[0];
    if (match.length === 1 && h !== undefined) {
      pairs.push({ base: b, head: h, by: 'parameters' });
      leftHead = leftHead.filter((x) => x !== h);
    } else {
      stillBase.push(b);
    }
  }
  const b = stillBase[0];
  const h = leftHead[0];
  if (stillBase.length === 1 && leftHead.length === 1 && b !== undefined && h !== undefined) {
    pairs.push({ base: b, head: h, by: 'only-remaining' });
  }
  return pairs;
}

/** The case key with its trailing `/profile=<from>` replaced by `/profile=<to>` (unchanged if it has none). */
export function renameProfile(caseKey: string, from: string, to: string): string {
  const suffix = `/profile=${from}`;
  return caseKey.endsWith(suffix) ? `${caseKey.slice(0, -suffix.length)}/profile=${to}` : caseKey;
}

export interface JoinResult {
  cases: JoinedCase[];
  profile_pairs: ProfilePair[];
}

/** Joined cases in the base runs' order, then head-only cases in the head runs' order. */
export function joinCases(base: readonly RunCases[], head: readonly RunCases[]): JoinResult {
  const profile_pairs = pairProfiles(base, head);
  const headToBase = new Map(profile_pairs.map((p) => [p.head, p.base]));
  const joined = new Map<string, JoinedCase>();
  const entry = (key: string, c: CaseRun): JoinedCase => {
    let j = joined.get(key);
    if (!j) {
      j = { key, scenario: c.scenario, base_case_key: null, head_case_key: null, base: [], head: [] };
      joined.set(key, j);
    }
    return j;
  };
  for (const run of base) {
    for (const c of run.cases.values()) {
      const j = entry(c.case_key, c);
      j.base_case_key = c.case_key;
      j.base.push(c);
    }
  }
  for (const run of head) {
    for (const c of run.cases.values()) {
      const baseProfile = headToBase.get(c.profile);
      const key = baseProfile === undefined ? c.case_key : renameProfile(c.case_key, c.profile, baseProfile);
      const j = entry(key, c);
      j.head_case_key = c.case_key;
      j.head.push(c);
    }
  }
  return { cases: [...joined.values()], profile_pairs };
}
