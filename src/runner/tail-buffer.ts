/**
 * Keeps the last `limit` bytes of a stream. Memory stays bounded by about twice the limit however much
 * a process prints.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private held = 0;
  private total = 0;

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (chunk.length >= this.limit) {
      this.chunks = [chunk.subarray(chunk.length - this.limit)];
      this.held = this.limit;
      return;
    }
    this.chunks.push(chunk);
    this.held += chunk.length;
    if (this.held > this.limit * 2) this.compact();
  }

  /** Bytes seen in total, including those dropped. */
  get totalBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.limit;
  }

  /**
   * The kept text. When bytes were dropped, the first (partial) line is dropped too: a cut could
   * otherwise leave half a secret that redaction no longer recognises, or half a UTF-8 character.
   */
  text(): string {
    this.compact();
    const bytes = Buffer.concat(this.chunks);
    if (!this.truncated) return bytes.toString('utf8');
    const newline = bytes.indexOf(0x0a);
    const kept = newline === -1 ? Buffer.alloc(0) : bytes.subarray(newline + 1);
    return `[... ${this.total - kept.length} bytes of earlier output omitted ...]\n${kept.toString('utf8')}`;
  }

  private compact(): void {
    const all = Buffer.concat(this.chunks);
    const kept = all.length > this.limit ? all.subarray(all.length - this.limit) : all;
    this.chunks = [Buffer.from(kept)];
    this.held = kept.length;
  }
}
