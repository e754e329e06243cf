/** Where a streamed answer goes, a chunk at a time; resolves when more may be written. */
export type ChunkSink = (text: string) => Promise<void>;

/** A streamed answer: `start` once, when the first chunk is ready (HTTP: status and headers), then chunks. */
export interface StreamOut {
  start(): void;
  write: ChunkSink;
}

/** The part of a Writable (an HTTP response, process.stdout) that backpressure needs. */
interface WritableLike {
  write(text: string): unknown;
  once?(event: 'drain' | 'close', listener: () => void): unknown;
  removeListener?(event: 'drain' | 'close', listener: () => void): unknown;
}

/**
 * Write to `out`, waiting for 'drain' when it says its buffer is full, so a slow reader bounds
 * what is held in memory to one chunk plus the stream's buffer. A stream that closes meanwhile
 * (the client went away) releases the wait too.
 */
export function chunkSink(out: WritableLike): ChunkSink {
  return (text) => {
    if (out.write(text) !== false || out.once === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        out.removeListener?.('drain', done);
        out.removeListener?.('close', done);
        resolve();
      };
      out.once?.('drain', done);
      out.once?.('close', done);
    });
  };
}
