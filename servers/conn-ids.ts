/** Server-side identity of a connection and the position of each request on it (sent as x-kab-* headers). */
export class ConnectionIds {
  private readonly seqBySocket = new WeakMap<object, { conn_id: string; seq: number }>();
  private nextId = 1;

  next(socket: object): { conn_id: string; seq: number } {
    let entry = this.seqBySocket.get(socket);
    if (!entry) {
      entry = { conn_id: `s${this.nextId++}`, seq: 0 };
      this.seqBySocket.set(socket, entry);
    }
    entry.seq++;
    return { conn_id: entry.conn_id, seq: entry.seq };
  }
}
