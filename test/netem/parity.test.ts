/** tun ⇄ tc parity (test/netem/uml/parity.uml.ts), on this kernel if it has sch_netem, else in the user-mode kernel. */
import { test } from 'node:test';
import { runNetemSuite } from '../helpers/uml/suite.ts';

test(
  'tun and tc link parity in one kernel: handshake savings and loss (sch_netem kernel)',
  { timeout: 900_000 },
  async (t) => {
    await runNetemSuite(t, 'test/netem/uml/parity.uml.ts', 840_000);
  },
);
