/** Parses `ss -tinH` output (TCP_INFO as iproute2 prints it) into one record per socket (pure). */

export interface SsTcpInfo {
  local: string;
  peer: string;
  /** Congestion control module of the socket (bbr, reno, cubic, …); null if ss did not print one. */
  cc: string | null;
  cwnd_segments: number | null;
  /** null while the socket is still in its first slow start (ss prints no ssthresh then). */
  ssthresh_segments: number | null;
  rtt_ms: number | null;
  rttvar_ms: number | null;
  rto_ms: number | null;
  mss_bytes: number | null;
  bytes_sent: number | null;
  bytes_acked: number | null;
  unacked_segments: number | null;
  /** Total retransmitted segments (the second figure of retrans:a/b). */
  retrans_total: number | null;
  delivery_rate_mbit: number | null;
  pacing_rate_mbit: number | null;
  /** Receiver's advertised window as the sender sees it, bytes. */
  snd_wnd_bytes: number | null;
}

const RATE_FACTOR_MBIT: Record<string, number> = { bps: 1e-6, kbps: 1e-3, mbps: 1, gbps: 1e3 };

function intField(info: string, name: string): number | null {
  const m = new RegExp(`(?:^|\\s)${name}:(\\d+)`).exec(info);
  return m?.[1] === undefined ? null : Number(m[1]);
}

function rateField(info: string, name: string): number | null {
  const m = new RegExp(`(?:^|\\s)${name} (\\d+(?:\\.\\d+)?)([KMG]?bps)`, 'i').exec(info);
  if (m?.[1] === undefined || m[2] === undefined) return null;
  const factor = RATE_FACTOR_MBIT[m[2].toLowerCase()];
  return factor === undefined ? null : Number(m[1]) * factor;
}

/** First token of the info line when it names a congestion control (ss prints it before wscale/rto). */
function ccName(info: string): string | null {
  const first = info.trim().split(/\s+/)[0] ?? '';
  return /^[a-z][a-z0-9_]*$/.test(first) ? first : null;
}

/**
 * `ss -tinH` prints each socket as a header line (optional state, Recv-Q, Send-Q, local, peer) followed by an
 * indented line of TCP_INFO fields. Lines that fit neither shape are ignored.
 */
export function parseSsTcpInfo(out: string): SsTcpInfo[] {
  const result: SsTcpInfo[] = [];
  let header: { local: string; peer: string } | null = null;
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      const cols = line.trim().split(/\s+/);
      const peer = cols[cols.length - 1];
      const local = cols[cols.length - 2];
      header = peer !== undefined && local !== undefined && cols.length >= 4 ? { local, peer } : null;
      continue;
    }
    if (!header) continue;
    const info = line.trim();
    const rtt = /(?:^|\s)rtt:(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)/.exec(info);
    const retrans = /(?:^|\s)retrans:(\d+)\/(\d+)/.exec(info);
    result.push({
      ...header,
      cc: ccName(info),
      cwnd_segments: intField(info, 'cwnd'),
      ssthresh_segments: intField(info, 'ssthresh'),
      rtt_ms: rtt?.[1] === undefined ? null : Number(rtt[1]),
      rttvar_ms: rtt?.[2] === undefined ? null : Number(rtt[2]),
      rto_ms: intField(info, 'rto'),
      mss_bytes: intField(info, 'mss'),
      bytes_sent: intField(info, 'bytes_sent'),
      bytes_acked: intField(info, 'bytes_acked'),
      unacked_segments: intField(info, 'unacked'),
      retrans_total: retrans?.[2] === undefined ? 0 : Number(retrans[2]),
      delivery_rate_mbit: rateField(info, 'delivery_rate'),
      pacing_rate_mbit: rateField(info, 'pacing_rate'),
      snd_wnd_bytes: intField(info, 'snd_wnd'),
    });
    header = null;
  }
  return result;
}

export interface ProcTcpWindow {
  local: string;
  peer: string;
  cwnd_segments: number;
  /** null while in the initial slow start (the kernel prints -1). */
  ssthresh_segments: number | null;
  /** Bytes written but not yet acknowledged (write_seq − snd_una). */
  tx_queue_bytes: number;
}

/** "0200A8C0:1F90" (little-endian IPv4 hex : port hex) → "192.168.0.2:8080". */
function procAddr(hex: string): string | null {
  const m = /^([0-9A-F]{8}):([0-9A-F]{4})$/i.exec(hex);
  if (!m?.[1] || !m[2]) return null;
  const ip = Number.parseInt(m[1], 16);
  return `${ip & 255}.${(ip >>> 8) & 255}.${(ip >>> 16) & 255}.${ip >>> 24}:${Number.parseInt(m[2], 16)}`;
}

/**
 * Established IPv4 sockets of /proc/net/tcp with local port `port`: cwnd and ssthresh are its last two
 * columns. Reading the file costs no process start, so it can be sampled every ms or two (ss cannot).
 */
export function parseProcNetTcp(text: string, port: number): ProcTcpWindow[] {
  const out: ProcTcpWindow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 17 || f[3] !== '01') continue;
    const local = procAddr(f[1] ?? '');
    const peer = procAddr(f[2] ?? '');
    if (!local || !peer || !local.endsWith(`:${port}`)) continue;
    const cwnd = Number(f[15]);
    const ssthresh = Number(f[16]);
    const tx = Number.parseInt((f[4] ?? '').split(':')[0] ?? '', 16);
    if (!Number.isFinite(cwnd)) continue;
    out.push({
      local,
      peer,
      cwnd_segments: cwnd,
      ssthresh_segments: Number.isFinite(ssthresh) && ssthresh >= 0 ? ssthresh : null,
      tx_queue_bytes: Number.isFinite(tx) ? tx : 0,
    });
  }
  return out;
}
