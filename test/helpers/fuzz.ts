/**
 * Budgets for the property-based fuzz tests (*.fuzz.test.ts). `npm test` runs each property with a fixed seed,
 * a small number of inputs and a time limit, so all of them together stay well under a minute; `npm run fuzz`
 * raises both through KAB_FUZZ_RUNS (inputs per property) and KAB_FUZZ_TIME_S (seconds per property).
 * KAB_FUZZ_SEED replaces the seed to explore other inputs; a failure prints the seed and path to replay it.
 */
import type { TestContext } from 'node:test';
import fc from 'fast-check';

export const FUZZ_SEED = 20;

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name}=${raw}: not a whole number ≥ 1`);
  return n;
}

/** Checks a property within its budget, notes how many inputs it tried, and fails with fast-check's report. */
export async function checkProperty<Ts>(
  t: TestContext,
  property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>,
  budget: { runs: number; time_ms: number },
): Promise<void> {
  const seed = envNumber('KAB_FUZZ_SEED', FUZZ_SEED);
  const numRuns = envNumber('KAB_FUZZ_RUNS', budget.runs);
  const time_ms = process.env.KAB_FUZZ_TIME_S ? envNumber('KAB_FUZZ_TIME_S', 1) * 1000 : budget.time_ms;
  const started_ms = performance.now();
  const details = await fc.check(property as fc.IRawProperty<Ts>, {
    seed,
    numRuns,
    plugins: [fc.interruptAfterTimeLimit(time_ms)],
  });
  const took_ms = Math.round(performance.now() - started_ms);
  const stopped = details.interrupted ? `, stopped at the ${time_ms} ms limit` : '';
  t.diagnostic(`${details.numRuns} inputs of ${numRuns} in ${took_ms} ms (seed ${seed}${stopped})`);
  if (!details.failed) return;
  // A counterexample of megabytes prints every byte: keep the report readable (seed and path replay it whole).
  const report = fc.defaultReportMessage(details).replace(/[^\n]{2000,}/g, (l) => `${l.slice(0, 2000)}…`);
  const cause = details.errorInstance instanceof Error ? `\nGot: ${details.errorInstance.message}` : '';
  throw new Error(`${report}${cause}`);
}

/** The input split into reads at the cut points (taken modulo its length; empty reads dropped). */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    if (c > prev) out.push(bytes.subarray(prev, c));
    prev = Math.max(prev, c);
  }
  return out;
}

export interface Mutation {
  kind: 'flip' | 'insert' | 'delete' | 'duplicate' | 'truncate';
  at: number;
  byte: number;
  len: number;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'insert', 'delete', 'duplicate', 'truncate'),
  at: fc.nat(),
  byte: fc.nat(255),
  len: fc.integer({ min: 1, max: 64 }),
});

/** Applies mutations in order: a byte changed, inserted or deleted, a slice repeated, the tail cut off. */
export function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = input;
  for (const m of mutations) {
    const at = m.at % (b.length + 1);
    if (m.kind === 'flip' && at < b.length) {
      b = Buffer.from(b);
      b[at] = m.byte;
    } else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    else if (m.kind === 'duplicate') b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
    else if (m.kind === 'truncate') b = b.subarray(0, at);
  }
  return b;
}
