/**
 * Streaming JSONL splitter: bytes in, batches of complete lines out. Only the current chunk and
 * one partial line are held, never the file. Batches (not single lines) keep the per-line async
 * overhead out of the hot loop of a multi-gigabyte download.
 */
export async function* jsonlLineBatches(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder("utf-8");
  let carry = ""; // an incomplete line from the previous chunk
  for await (const chunk of chunks) {
    // `stream: true` keeps a multi-byte character split across chunks intact; a newline byte is
    // never part of a multi-byte sequence, so splitting the decoded text is exact.
    const text = carry + decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    carry = lines.pop()!;
    if (!lines.length) continue;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1); // CRLF
    }
    yield lines;
  }
  carry += decoder.decode();
  if (carry.length) yield [carry];
}

/** Adapts a fetch Response body (or any byte iterable) to an async iterable of Uint8Array. */
export function bodyChunks(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (Symbol.asyncIterator in body) return body as AsyncIterable<Uint8Array>;
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    },
  };
}

/** Complete lines of a JSONL download, as bytes: what a parse worker receives (app/shopify/jsonl/parse-pool.ts). */
export interface ByteLineBatch {
  /** Whole lines, each ending with "\n" except perhaps the file's last; a buffer of its own (transferable). */
  bytes: Uint8Array<ArrayBuffer>;
  /** Lines in `bytes`. */
  lines: number;
}

const NEWLINE = 10;

/**
 * Streaming JSONL splitter that never decodes: bytes in, batches of `linesPerBatch` complete lines
 * out, as bytes, after skipping the first `skipLines` lines (a resumed download's committed lines,
 * which are counted, not parsed). Counting newline bytes is exact: in UTF-8 a newline byte is never
 * part of a multi-byte sequence. Decoding and parsing happen where the batch goes (a worker
 * thread), so the thread that reads the download only searches for newline bytes.
 *
 * When the source fails mid-file, the complete lines read so far still come out as a last batch
 * (the caller writes them and resumes after them), then the error is rethrown; a cut-off last line
 * never comes out. When the source ends, a last line without a newline does.
 */
export async function* jsonlByteBatches(
  chunks: AsyncIterable<Uint8Array>,
  opts: { linesPerBatch: number; skipLines?: number },
): AsyncGenerator<ByteLineBatch> {
  const perBatch = Math.max(1, opts.linesPerBatch);
  let toSkip = opts.skipLines ?? 0;
  let parts: Uint8Array[] = []; // the current batch: complete lines, then perhaps the start of one
  let partsBytes = 0;
  let lines = 0; // complete lines in `parts`
  let completeBytes = 0; // bytes of those complete lines
  const take = (): ByteLineBatch => {
    const bytes = concat(parts, completeBytes);
    const batch = { bytes, lines };
    // What follows the last newline (the start of the next line) stays.
    const rest = partsBytes - completeBytes;
    parts = rest ? [concat(parts, partsBytes).subarray(completeBytes)] : [];
    partsBytes = rest;
    lines = 0;
    completeBytes = 0;
    return batch;
  };
  try {
    for await (const chunk of chunks) {
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength); // a view: Buffer's indexOf is memchr
      let pos = 0;
      while (toSkip > 0) {
        const nl = buf.indexOf(NEWLINE, pos);
        if (nl === -1) break;
        pos = nl + 1;
        toSkip--;
      }
      if (toSkip > 0) continue; // the whole chunk belongs to skipped lines
      let start = pos;
      for (;;) {
        const nl = buf.indexOf(NEWLINE, pos);
        if (nl === -1) break;
        pos = nl + 1;
        lines++;
        completeBytes = partsBytes + (pos - start);
        if (lines === perBatch) {
          parts.push(buf.subarray(start, pos));
          partsBytes += pos - start;
          start = pos;
          yield take();
        }
      }
      if (start < buf.length) {
        parts.push(buf.subarray(start));
        partsBytes += buf.length - start;
      }
    }
  } catch (e) {
    if (lines > 0) yield take();
    throw e;
  }
  if (partsBytes > completeBytes) {
    lines++; // the last line has no newline
    completeBytes = partsBytes;
  }
  if (lines > 0) yield take();
}

/** Copies the first `size` bytes of `parts` into a new buffer of its own (so it can be transferred to a worker). */
function concat(parts: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  // Not Buffer.concat: a small result would come from Node's shared pool, which must not be transferred.
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    if (at >= size) break;
    const n = Math.min(p.byteLength, size - at);
    out.set(n === p.byteLength ? p : p.subarray(0, n), at);
    at += n;
  }
  return out;
}

/**
 * The lines of a batch from jsonlByteBatches, decoded (UTF-8, invalid sequences replaced as the
 * streaming decoder does) and without their line breaks (LF or CRLF). `startsFile`: a byte order
 * mark is dropped only at the start of the file, as a decoder reading the whole file would.
 */
export function decodeLineBatch(bytes: Uint8Array, startsFile: boolean): string[] {
  const text = new TextDecoder("utf-8", { ignoreBOM: !startsFile }).decode(bytes);
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop(); // the last line's newline
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1); // CRLF
  }
  return lines;
}
