/**
 * The sender of bench/webhook-load.bench.ts, in a worker thread of its own so that the GitHub double (in
 * the main thread) never delays a send or the timing of an answer. Receives
 * `{ url, rate, maxInFlight, startAt, deliveries: [{ id, name, body, signature }] }` as workerData (`startAt`
 * in epoch milliseconds), sends delivery i at startAt + i / rate seconds (open loop: whatever the earlier ones are doing), at most `maxInFlight`
 * unanswered, over a keep-alive agent; posts back `{ outcomes: [{ status, ms, lagMs, newConnection, error? }], wallMs }`.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

const { url, rate, maxInFlight, startAt, deliveries } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
const outcomes = new Array(deliveries.length);
const intervalMs = 1000 / rate;
// This thread's clock for the agreed start (Date.now is shared with the main thread, performance.now is not).
const start = performance.now() + (startAt - Date.now());
let inFlight = 0;
let next = 0;
let answered = 0;
let timer;

function send(index) {
  const delivery = deliveries[index];
  const sentAt = performance.now();
  const lagMs = sentAt - (start + index * intervalMs);
  inFlight++;
  let finished = false;
  let req;
  const done = (status, error) => {
    if (finished) return;
    finished = true;
    inFlight--;
    answered++;
    outcomes[index] = { status, ms: performance.now() - sentAt, lagMs, newConnection: !req.reusedSocket, ...(error ? { error } : {}) };
    if (answered === deliveries.length) {
      agent.destroy();
      parentPort.postMessage({ outcomes, wallMs: performance.now() - start });
    } else {
      pump();
    }
  };
  req = request(
    url,
    {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(delivery.body),
        'user-agent': 'GitHub-Hookshot/bench',
        'x-github-event': delivery.name,
        'x-github-delivery': delivery.id,
        'x-github-hook-id': '1',
        'x-hub-signature-256': delivery.signature,
      },
    },
    (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
      res.on('error', (error) => done(0, error.message));
    },
  );
  req.on('error', (error) => done(0, error.message));
  req.end(delivery.body);
}

/** Sends everything that is due, then sleeps until the next delivery is. */
function pump() {
  const now = performance.now();
  while (next < deliveries.length && inFlight < maxInFlight && start + next * intervalMs <= now) send(next++);
  if (next < deliveries.length && inFlight < maxInFlight && timer === undefined) {
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, Math.max(0, start + next * intervalMs - performance.now()));
  }
}

pump();
