/**
 * The client agent: a child process that runs where the measuring client must be (inside the client network
 * namespace), holds connections and answers JSON-line requests from the harness. Exits when stdin closes.
 */
import { serveJsonLines } from '../../lib/child.ts';
import { Prober, type ProbeRequest } from './probe.ts';
import { BatchRunner, type BatchRequest } from './batch.ts';
import { loadDriverFor } from './load/index.ts';
import type { LoadOptions } from './load/types.ts';
import { LifecycleClients } from './lifecycle-clients.ts';
import { handleLifecycleOp, isLifecycleOp } from './lifecycle-ops.ts';
import { IdleCrowds, handleIdleOp, isIdleOp } from './idle-ops.ts';

const prober = new Prober();
const batcher = new BatchRunner();
const lifecycle = new LifecycleClients();
const crowds = new IdleCrowds();

type AgentRequest = { id: number } & (
  | ({ op: 'probe' } & ProbeRequest)
  | ({ op: 'batch' } & BatchRequest)
  | ({ op: 'load' } & LoadOptions)
  | { op: 'close'; conn_key: string }
  | { op: 'close_all' }
);

async function handle(msg: AgentRequest): Promise<Record<string, unknown>> {
  switch (msg.op) {
    case 'probe':
      return { sample: await prober.probe(msg) };
    case 'batch':
      return { batch: await batcher.run(msg) };
    case 'load':
      return { load: await loadDriverFor(msg.protocol).run(msg) };
    case 'close':
      prober.close(msg.conn_key);
      batcher.close(msg.conn_key);
      return {};
    case 'close_all':
      prober.closeAll();
      batcher.closeAll();
      return {};
  }
}

process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));
serveJsonLines<AgentRequest>(
  (msg) =>
    isLifecycleOp(msg) ? handleLifecycleOp(lifecycle, msg) : isIdleOp(msg) ? handleIdleOp(crowds, msg) : handle(msg),
  {
    onEof: () => {
      prober.closeAll();
      batcher.closeAll();
      process.exit(0);
    },
  },
);
