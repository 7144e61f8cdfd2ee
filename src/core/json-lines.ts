/**
 * Newline-delimited JSON-RPC reading, shared by both stdio sides of the gateway: the gateway's own stdin
 * (StdioLineTransport) and each stdio server's stdout (ProcessTransport). One limit bounds a line; a longer line
 * is skipped as it arrives (only its first and last bytes are kept, to find its id), so it costs no memory past
 * the limit and the connection goes on.
 */

/** How much of the start and the end of an oversized line is kept to find its id. */
const keepBytes = 1024;

/** A line over the limit, skipped whole. */
export interface OversizedLine {
  /** Its size in bytes (without the newline). */
  bytes: number;
  /** Its id when its first keys or its last key show it; null otherwise. */
  id: string | number | null;
  /** Whether its first keys show a response (`result` or `error` before any other key than jsonrpc and id). */
  response: boolean;
}

export interface JsonLinesOptions {
  /** The longest line delivered, in bytes. */
  maxBytes: number;
  /** A line within the limit, decoded as UTF-8, without its newline or a trailing carriage return. */
  onLine: (line: string) => void;
  /** A line over the limit, once its end has arrived. */
  onOversized: (line: OversizedLine) => void;
}

/** Splits the chunks it is fed into lines, in time linear in their size. */
export class JsonLines {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** A line over the limit, being skipped to its end: its first and last bytes, and its size. */
  private skipping: { head: Buffer; tail: Buffer; bytes: number } | undefined;

  constructor(private readonly options: JsonLinesOptions) {}

  push(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const limit = this.options.maxBytes;
    let from = 0;
    let newline: number;
    // Only the new chunk is searched for newlines, so a long line costs linear time.
    while ((newline = data.indexOf(0x0a, from)) >= 0) {
      const piece = data.subarray(from, newline);
      from = newline + 1;
      if (this.skipping) {
        this.skip(piece);
        this.endOversized();
        continue;
      }
      const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      this.pendingBytes = 0;
      if (line.length > limit) {
        this.skipping = { head: Buffer.alloc(0), tail: Buffer.alloc(0), bytes: 0 };
        this.skip(line);
        this.endOversized();
      } else {
        const text = line.toString('utf8');
        this.options.onLine(text.endsWith('\r') ? text.slice(0, -1) : text);
      }
    }
    if (from >= data.length) return;
    const rest = data.subarray(from);
    if (this.skipping) return this.skip(rest);
    this.pending.push(rest);
    this.pendingBytes += rest.length;
    if (this.pendingBytes > limit) {
      // Past the limit before its end: keep only what finds its id, skip the rest as it comes.
      const started = Buffer.concat(this.pending);
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = { head: Buffer.alloc(0), tail: Buffer.alloc(0), bytes: 0 };
      this.skip(started);
    }
  }

  /** Forgets a line not yet ended (the stream closed). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = undefined;
  }

  private skip(piece: Buffer): void {
    const skipping = this.skipping;
    if (!skipping) return;
    if (skipping.head.length < keepBytes) skipping.head = Buffer.concat([skipping.head, piece.subarray(0, keepBytes - skipping.head.length)]);
    skipping.tail = Buffer.concat([skipping.tail, piece]).subarray(-keepBytes);
    skipping.bytes += piece.length;
  }

  private endOversized(): void {
    const skipping = this.skipping;
    this.skipping = undefined;
    if (!skipping) return;
    const head = skipping.head.toString('utf8');
    this.options.onOversized({ bytes: skipping.bytes, id: idOfOversized(head, skipping.tail.toString('utf8')), response: responseFirst.test(head) });
  }
}

const idPattern = String.raw`("(?:[^"\\]|\\.){0,200}"|-?\d{1,20})`;
/** `{"jsonrpc":"2.0","id":7,…` or `{"id":7,…`: the id among the first keys. */
const idFirst = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${idPattern}`);
/** `…,"id":7}` closing the top-level object (as the SDK's client writes it: method, params, jsonrpc, id). */
const idLast = new RegExp(String.raw`[,{]\s*"id"\s*:\s*${idPattern}\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$`);
/** `{"jsonrpc":"2.0","id":7,"result":…` or `{"result":…`: a response, by its first keys. */
const responseFirst = new RegExp(String.raw`^\s*\{(?:\s*"(?:jsonrpc|id)"\s*:\s*(?:"(?:[^"\\]|\\.){0,200}"|-?\d{1,20})\s*,)*\s*"(?:result|error)"\s*:`);

/**
 * The id of a message too large to parse, read from where JSON-RPC writers put it: among the first keys or as
 * the last one. A nested "id" cannot match either (the first keys are the object's own; the last is followed by
 * one closing brace only). null when neither shows it.
 */
export function idOfOversized(head: string, tail: string): string | number | null {
  const match = idFirst.exec(head) ?? idLast.exec(tail.replace(/\r$/, ''));
  if (!match?.[1]) return null;
  return match[1].startsWith('"') ? (JSON.parse(match[1]) as string) : Number(match[1]);
}
