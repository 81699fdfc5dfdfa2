import diagnosticsChannel from 'node:diagnostics_channel';
import type { Server } from 'node:http';

/** Node's default: an idle kept-alive connection is closed after 5 s. */
const NODE_DEFAULT_KEEP_ALIVE_MS = 5_000;

interface RequestStartMessage {
  server: Server;
}

/**
 * Keeps idle client connections open for `timeoutMs` on the HTTP server that serves this app.
 *
 * Probot creates and starts its own `http.Server` and does not hand it to the app, so the server keeps
 * Node's 5 s keep-alive timeout. A load balancer that reuses connections for longer (AWS ALB: 60 s idle)
 * then sends a request on a connection the app is closing at that moment and answers 502. The fix the
 * balancers document is a backend keep-alive longer than the balancer's idle timeout.
 *
 * Node publishes every request a server receives on the `http.server.request.start` diagnostics channel,
 * with the server: on the first request of each server, this raises its keep-alive timeout (and the
 * headers timeout above it, as Node requires for kept-alive connections). It applies from that first
 * request's own connection on, because Node reads the timeout when the response ends.
 *
 * A server whose keep-alive was already set (anything but Node's default) is left as it is.
 * Returns the function that stops watching.
 */
export function keepConnectionsAlive(timeoutMs: number, onTuned?: (server: Server) => void): () => void {
  const seen = new WeakSet<Server>();
  const channel = diagnosticsChannel.channel('http.server.request.start');
  const listener = (message: unknown) => {
    const server = (message as RequestStartMessage).server;
    if (!server || seen.has(server)) return;
    seen.add(server);
    if (server.keepAliveTimeout !== NODE_DEFAULT_KEEP_ALIVE_MS) return;
    server.keepAliveTimeout = timeoutMs;
    server.headersTimeout = Math.max(server.headersTimeout, timeoutMs + 1_000);
    onTuned?.(server);
  };
  channel.subscribe(listener);
  return () => {
    channel.unsubscribe(listener);
  };
}
