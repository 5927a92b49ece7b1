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
