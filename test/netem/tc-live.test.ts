/** The tc backend live (test/netem/uml/tc-live.uml.ts), on this kernel if it has sch_netem, else in the user-mode kernel. */
import { test } from 'node:test';
import { runNetemSuite } from '../helpers/uml/suite.ts';

test(
  'tc link live: setup, calibration, loss, rate, profile changes, controls, signals, clean (sch_netem kernel)',
  { timeout: 900_000 },
  async (t) => {
    await runNetemSuite(t, 'test/netem/uml/tc-live.uml.ts', 840_000);
  },
);
