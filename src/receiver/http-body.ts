import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { DecodeError, EdgewatchError, PayloadTooLargeError } from '../core/errors';

/** The client went away before its body arrived: there is nobody left to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection before the request body was complete');
    this.name = 'ClientGoneError';
  }
}

type Encoding = 'identity' | 'gzip' | 'deflate' | 'br';

function encodingOf(header: string | undefined): Encoding {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate' || value === 'br') return value;
  // RFC 9110 §15.5.16: an unsupported content coding is answered 415.
  throw new EdgewatchError('UNSUPPORTED_MEDIA_TYPE', `unsupported content encoding "${header}": expected gzip, deflate, br or identity`, false);
}

function decompressor(encoding: Encoding): Transform | null {
  switch (encoding) {
    case 'gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    case 'identity':
      return null;
  }
}

/**
 * Read the whole request body, decompressed, refusing it as soon as either the bytes on the wire
 * or the bytes after decompression pass `maxBytes` (so a small gzip bomb costs at most the
 * limit). Rejects with PayloadTooLargeError, DecodeError (corrupt or truncated compression),
 * an UNSUPPORTED_MEDIA_TYPE EdgewatchError (unknown Content-Encoding) or ClientGoneError.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(new PayloadTooLargeError(maxBytes, declared));
  let encoding: Encoding;
  try {
    encoding = encodingOf(req.headers['content-encoding']);
  } catch (err) {
    return Promise.reject(err);
  }
  const inflater = decompressor(encoding);

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wire = 0;
    let size = 0;
    let settled = false;

    const settle = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      req.off('data', onWire);
      req.off('end', onWireEnd);
      req.off('error', onGone);
      req.off('close', onClose);
      if (inflater) {
        inflater.removeAllListeners();
        inflater.on('error', () => undefined); // late errors of a stream we gave up on
        inflater.destroy();
      }
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onPlain = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) return settle(new PayloadTooLargeError(maxBytes));
      chunks.push(chunk);
    };
    const onWire = (chunk: Buffer): void => {
      wire += chunk.length;
      if (wire > maxBytes) return settle(new PayloadTooLargeError(maxBytes));
      if (!inflater) return onPlain(chunk);
      if (!inflater.write(chunk)) {
        req.pause();
        inflater.once('drain', () => {
          if (!settled) req.resume();
        });
      }
    };
    const onWireEnd = (): void => {
      if (inflater) inflater.end();
      else settle(null);
    };
    const onGone = (): void => settle(new ClientGoneError());
    const onClose = (): void => {
      if (!req.complete) onGone();
    };

    if (inflater) {
      inflater.on('data', onPlain);
      inflater.on('end', () => settle(null));
      inflater.on('error', (e: Error) => settle(new DecodeError(`invalid ${encoding} body: ${e.message}`)));
    }
    req.on('data', onWire);
    req.on('end', onWireEnd);
    req.on('error', onGone);
    req.on('close', onClose);
  });
}

/**
 * Throw away the rest of a body we answered without reading, so the answer reaches the client
 * and the connection can carry the next request. Past `capBytes` we stop paying for it and cut
 * the connection instead; when the declared length already says so, the caller should answer
 * with `Connection: close` (see mustClose) rather than drain.
 */
export function discardBody(req: IncomingMessage, capBytes: number): void {
  if (req.readableEnded) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > capBytes) req.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

/** True when the unread rest of the body is declared larger than we are willing to drain. */
export function mustClose(req: IncomingMessage, capBytes: number): boolean {
  return !req.readableEnded && Number(req.headers['content-length']) > capBytes;
}
