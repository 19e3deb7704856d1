/** In-memory run folders for the compare tests (the shape report/load-run.ts returns). */
import type { RunFolder } from '../../../report/load-run.ts';

export interface FakeCase {
  /** conn_mode of the case (its key differs by it). */
  mode: string;
  /** total_ms of each measured request; ttfb_ms is total − 0.5. */
  values: number[];
  protocol?: string;
  errors?: number;
}

export interface FakeRunOptions {
  run_id: string;
  backend?: string;
  cc?: string;
  profile?: string;
  /** meta.profiles[].key; null = not recorded. */
  key?: string | null;
  /** calibrated RTT and its CI in meta; null = not recorded. */
  rtt?: number | null;
  rtt_ci?: [number, number] | null;
  /** connect_ms of every measured request (all are new connections); null = none recorded (no in-run witness). */
  connect_ms?: number | null;
  cases: FakeCase[];
  /** meta.status.kind (default completed); null = not recorded. */
  status?: string | null;
  /** Rows marked failure_is_outcome (a case that measures failures on purpose). */
  failure_is_outcome?: boolean;
}

export const LAN_KEY = 'rtt=1ms;jitter=0ms;loss=0%;rate=inf;queue=default;mtu=1500';

export function caseKeyOf(mode: string, profile = 'lan', protocol = 'h1'): string {
  return `handshake/protocol=${protocol}/security=none/conn_mode=${mode}/size_bytes=100/profile=${profile}`;
}

export function fakeRun(o: FakeRunOptions): RunFolder {
  const profile = o.profile ?? 'lan';
  const backend = o.backend ?? 'tun';
  const cc = o.cc ?? 'bbr';
  const rtt = o.rtt === undefined ? 1.1 : o.rtt;
  const ci = o.rtt_ci === undefined ? ([1.0, 1.2] as [number, number]) : o.rtt_ci;
  const samples: Record<string, string>[] = [];
  for (const c of o.cases) {
    const base = {
      run_id: o.run_id,
      scenario: 'handshake',
      case_key: caseKeyOf(c.mode, profile, c.protocol),
      profile,
      link_backend: backend,
      rtt_ms_calibrated: rtt === null ? '' : String(rtt),
      congestion_control: cc,
      protocol: c.protocol ?? 'h1',
      security: 'none',
      conn_mode: c.mode,
      size_bytes: '100',
      new_connection: '1',
      failure_is_outcome: o.failure_is_outcome ? '1' : '',
    };
    samples.push({ ...base, warmup: '1', error: '', connect_ms: '50', ttfb_ms: '999', total_ms: '999' });
    for (const v of c.values) {
      samples.push({
        ...base,
        warmup: '0',
        error: '',
        connect_ms: o.connect_ms === null ? '' : String(o.connect_ms ?? 1),
        ttfb_ms: String(v - 0.5),
        total_ms: String(v),
      });
    }
    for (let i = 0; i < (c.errors ?? 0); i++) {
      samples.push({ ...base, warmup: '0', error: 'timeout', connect_ms: '', ttfb_ms: '', total_ms: '' });
    }
  }
  const calibration =
    rtt === null
      ? {}
      : {
          rtt_ms_calibrated: rtt,
          connect: ci ? { median_ms: rtt, ci95_low_ms: ci[0], ci95_high_ms: ci[1] } : { median_ms: rtt },
        };
  return {
    dir: `/fake/${o.run_id}`,
    torn_rows: {},
    meta: {
      run_id: o.run_id,
      ...(o.status === null ? {} : { status: { kind: o.status ?? 'completed' } }),
      options: { quick: false },
      link: { backend },
      congestion_control: cc,
      profiles: [{ name: profile, ...(o.key === null ? {} : { key: o.key ?? LAN_KEY }), calibration }],
    },
    samples,
    summary: [],
    calibration: [],
  };
}

/** n values evenly spread over [from, from + width). */
export function spread(from: number, width: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + (width * i) / n);
}
