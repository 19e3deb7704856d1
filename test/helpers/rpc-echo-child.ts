/** A test double child for lib/child.ts: answers echo, fails on fail, exits with code 7 on stdin EOF. */
import { serveJsonLines } from '../../lib/child.ts';

serveJsonLines(
  async (msg: { op?: unknown; text?: unknown; ms?: unknown }) => {
    if (msg.op === 'echo') return { text: msg.text };
    if (msg.op === 'slow') {
      await new Promise((r) => setTimeout(r, Number(msg.ms)));
      return { slept: msg.ms };
    }
    if (msg.op === 'fail') throw new Error('asked to fail');
    throw new Error(`unknown op ${String(msg.op)}`);
  },
  { onEof: () => process.exit(7), ready: { role: 'echo' } },
);
