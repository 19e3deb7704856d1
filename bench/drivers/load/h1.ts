/**
 * HTTP/1.1 load driver. Closed loop with keep-alive runs autocannon (pipelining = per_connection), with a
 * per-response hook so latencies land in the µs histogram (autocannon's own one is whole ms). Open loop and
 * no-keep-alive run the shared engine on raw-socket connections, since autocannon measures from the actual send.
 */
import autocannon from 'autocannon';
import { H1Connection } from '../h1-connection.ts';
import { openSocket } from '../socket-open.ts';
import { nowMs } from '../clock.ts';
import { LatencyHistogram } from './histogram.ts';
import { classifyError, runLoad, type LoadAnswer, type LoadConn, type LoadTransport } from './engine.ts';
import { validateLoadOptions, type LoadDriver, type LoadOptions, type LoadResult } from './types.ts';

class H1LoadConn implements LoadConn {
  constructor(
    private readonly conn: H1Connection,
    private readonly keepAlive: boolean,
  ) {}
  get unusableReason(): string | null {
    return this.conn.unusableReason;
  }
  async request(path: string, timeout_ms: number): Promise<LoadAnswer> {
    const ex = await this.conn.request(path, timeout_ms, this.keepAlive ? {} : { Connection: 'close' });
    return { status: ex.status, body_bytes: ex.body_bytes };
  }
  close(): void {
    this.conn.close();
  }
}

export const h1Transport: LoadTransport = {
  async open(opts: LoadOptions): Promise<LoadConn> {
    const { socket } = await openSocket(opts.target, { tls: null, alpn: ['http/1.1'], timeout_ms: opts.timeout_ms });
    return new H1LoadConn(new H1Connection(socket, `${opts.target.host}:${opts.target.port}`), opts.keep_alive);
  },
};

/**
 * autocannon opens plain net.connect sockets with Nagle on: with pipelining, each request written while earlier
 * ones are unacknowledged waits a round trip in the kernel, which doubles latency at any real RTT. Its clients
 * (re)connect through `_connect`, so wrap it to set TCP_NODELAY on every socket it opens.
 */
function noDelay(client: unknown): void {
  const c = client as { _connect?: () => void; conn?: { setNoDelay(on: boolean): void } };
  const connect = c._connect;
  if (typeof connect !== 'function') return;
  c._connect = function (this: unknown) {
    connect.call(this);
    c.conn?.setNoDelay(true);
  };
}

async function runAutocannon(opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult> {
  const hist = new LatencyHistogram();
  let responses = 0;
  let ok = 0;
  let non2xx = 0;
  let body_bytes = 0;
  let resets = 0;
  let other = 0;
  const t0 = nowMs();
  let settle: (r: autocannon.Result) => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((res, rej) => {
    settle = res;
    fail = rej;
  });
  const instance = autocannon(
    {
      url: `http://${opts.target.host}:${opts.target.port}${opts.path}`,
      connections: opts.connections,
      pipelining: opts.per_connection,
      duration: opts.duration_ms / 1000,
      ...(opts.max_requests !== null ? { amount: opts.max_requests } : {}),
      timeout: Math.max(1, Math.ceil(opts.timeout_ms / 1000)),
      setupClient: noDelay,
    },
    (err: Error | null, r: autocannon.Result) => (err ? fail(err) : settle(r)),
  );
  instance.on('response', (_client: unknown, statusCode: number, resBytes: number, responseTime: number) => {
    responses++;
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      body_bytes += resBytes;
      hist.recordMs(responseTime);
    } else non2xx++;
  });
  instance.on('reqError', (e: Error) => {
    const kind = classifyError(e.message);
    if (kind === 'reset') resets++;
    else if (kind === 'other') other++;
  });
  const onAbort = (): void => instance.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  const result = await finished;
  signal?.removeEventListener('abort', onAbort);
  const elapsed_ms = nowMs() - t0;
  // autocannon counts a timeout as an error too; its own `timeouts` figure is the authority for those.
  const timeouts = result.timeouts;
  return {
    driver: 'autocannon',
    protocol: 'h1',
    loop: 'closed',
    connections: opts.connections,
    per_connection: opts.per_connection,
    keep_alive: true,
    rate_rps_target: null,
    elapsed_ms: Math.round(elapsed_ms * 1000) / 1000,
    sent: responses + result.errors,
    responses,
    ok_2xx: ok,
    non_2xx: non2xx,
    errors: result.errors,
    timeouts,
    resets,
    not_sent: 0,
    requests_per_s: Math.round((responses / (elapsed_ms / 1000)) * 10) / 10,
    body_bytes,
    latency: hist.summary(),
    latency_hist: hist.toJSON(),
    send_lag: null,
  };
}

export const h1LoadDriver: LoadDriver = {
  name: 'h1',
  run(opts, signal) {
    const invalid = validateLoadOptions(opts);
    if (invalid) return Promise.reject(new Error(`bad load options: ${invalid}`));
    if (opts.loop === 'closed' && opts.keep_alive) return runAutocannon(opts, signal);
    return runLoad('raw-h1', h1Transport, opts, signal);
  },
};
