import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { CommonException } from './app-exception.js';
import { REQUEST_LIMITS } from './request-limits.js';

const TOO_LARGE = `The request line and headers are larger than ${REQUEST_LIMITS.headBytes} bytes.`;

/** Bytes of the request line and headers as they came on the wire (Node reads them as latin1). */
export function requestHeadBytes(request: IncomingMessage): number {
  // "METHOD URL HTTP/1.1\r\n", and "\r\n" after the last header.
  let bytes = request.method!.length + request.url!.length + 14;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) bytes += raw[i]!.length + raw[i + 1]!.length + 4;
  return bytes;
}

/** First middleware: a request head above the limit is refused with the error body of its API. */
export function requestHeadLimit(request: Request, _response: Response, next: NextFunction) {
  next(
    requestHeadBytes(request) > REQUEST_LIMITS.headBytes
      ? new CommonException('HEADERS_TOO_LARGE', TOO_LARGE)
      : undefined,
  );
}

/**
 * A head above the socket limit never becomes a request: Node's parser stops, before the path is
 * known for sure (it may sit in an earlier TCP segment). The 431 then carries both error shapes,
 * the admin API's `{statusCode, code, message}` and SCIM's error schema (RFC 7644 §3.12).
 */
function cutOffResponse(): string {
  const body = JSON.stringify({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    status: '431',
    detail: TOO_LARGE,
    statusCode: 431,
    code: 'HEADERS_TOO_LARGE',
    message: TOO_LARGE,
  });
  return [
    'HTTP/1.1 431 Request Header Fields Too Large',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Node's answers to the other malformed requests, as its default 'clientError' handling sends. */
const BARE: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

const answered = new WeakSet<Duplex>();

function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (answered.has(socket)) {
    // The parser reports every later chunk of the same oversized head; the answer is on its way.
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.destroy();
    return;
  }
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  answered.add(socket);
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // Half-close and let the client finish sending, so that closing does not reset the
    // connection under the answer before the client has read it.
    socket.end(cutOffResponse());
    setTimeout(() => socket.destroy(), 2000).unref();
    return;
  }
  socket.write(BARE[error.code ?? ''] ?? BAD_REQUEST);
  socket.destroy();
}

/** Raises Node's cut-off above REQUEST_LIMITS.headBytes and answers cut-off heads with a body. */
export function limitRequestHeads(server: Server): void {
  // The `maxHeaderSize` option of http.createServer, which Nest calls without options; Node
  // stores it on the server and reads it for every new connection.
  (server as Server & { maxHeaderSize?: number }).maxHeaderSize = REQUEST_LIMITS.socketHeadBytes;
  server.on('clientError', onClientError);
}
