/** What one request/response exchange on a connection produced, in absolute monotonic ms. */
export interface ExchangeResult {
  t_write_ms: number;
  t_first_byte_ms: number;
  t_done_ms: number;
  status: number;
  body_bytes: number;
  headers: Record<string, string>;
}
