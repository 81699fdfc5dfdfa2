import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleIssueComment } from '../../src/handlers/issue-comment.js';
import { JobQueue } from '../../src/jobs/job-queue.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

/**
 * The comment handler answers GitHub once the command is queued: the 👀 acknowledgement goes out on its
 * own (Octokit may hold a write for seconds to respect GitHub's limits). A real queue over a SQLite store
 * that no worker drains; the client is a stub that records the reaction requests and answers when told.
 */

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/events');

type CommentEvent = Context<'issue_comment'>['payload'];

interface HeldReaction {
  params: { owner: string; repo: string; comment_id: number; content: string };
  answer(): void;
  fail(error: Error): void;
}

function context(payload: CommentEvent, reactions: HeldReaction[], warnings: string[]): Context<'issue_comment'> {
  const octokit = {
    rest: {
      reactions: {
        createForIssueComment: (params: HeldReaction['params']) =>
          new Promise((resolve, reject) => {
            reactions.push({ params, answer: () => resolve({ data: { id: 1 } }), fail: reject });
          }),
      },
    },
  };
  const log = { info: () => undefined, warn: (_obj: object, msg: string) => warnings.push(msg), error: () => undefined };
  return { id: 'delivery-1', name: 'issue_comment', payload, octokit, log } as unknown as Context<'issue_comment'>;
}

describe('issue_comment handler', () => {
  let dataDir: string;
  let store: Store;
  let queue: JobQueue;
  let payload: CommentEvent;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ir-comment-handler-'));
    store = await openStore({ dataDir });
    queue = new JobQueue(store, { logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    payload = JSON.parse(await readFile(path.join(FIXTURES, 'issue_comment.created.json'), 'utf8')) as CommentEvent;
  });

  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers once the command is queued, while the 👀 reaction is still on its way', async () => {
    const reactions: HeldReaction[] = [];

    const outcome = await handleIssueComment(context(payload, reactions, []), async () => queue);

    expect(outcome).toBe('queued');
    expect(reactions.map((r) => r.params)).toEqual([{ owner: 'Codertocat', repo: 'Hello-World', comment_id: payload.comment.id, content: 'eyes' }]);
    const [job, ...more] = await store.listJobs();
    expect(more).toEqual([]);
    expect(job).toMatchObject({ kind: 'command', status: 'queued', key: `comment:Codertocat/Hello-World:${payload.comment.id}` });
    reactions[0]?.answer();
  });

  it('logs a reaction GitHub refuses, without failing the delivery or losing the queued command', async () => {
    const reactions: HeldReaction[] = [];
    const warnings: string[] = [];

    expect(await handleIssueComment(context(payload, reactions, warnings), async () => queue)).toBe('queued');
    reactions[0]?.fail(Object.assign(new Error('Bad credentials'), { status: 401 }));
    await new Promise((resolve) => setImmediate(resolve));

    expect(warnings).toEqual(['could not add the 👀 reaction to a queued command']);
    expect((await store.listJobs()).map((job) => job.status)).toEqual(['queued']);
  });

  it('queues a redelivered comment once and does not react again', async () => {
    const reactions: HeldReaction[] = [];
    expect(await handleIssueComment(context(payload, reactions, []), async () => queue)).toBe('queued');
    expect(await handleIssueComment(context(payload, reactions, []), async () => queue)).toBe('duplicate');
    expect(reactions).toHaveLength(1);
    expect(await store.listJobs()).toHaveLength(1);
  });
});
