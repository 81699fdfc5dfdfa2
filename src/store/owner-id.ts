import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Identity of a worker process: `<host>:<pid>:<random>`. The random part keeps two queues in one process
 * (and a restarted process that got the same pid) apart; host and pid let a process on the same host
 * tell that the owner is dead without waiting for its lease to expire.
 */
export function newOwnerId(): string {
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  liveOwners.add(owner);
  return owner;
}

/** Owners created by this process: alive as long as the process is. */
const liveOwners = new Set<string>();

export function parseOwnerId(owner: string): { host: string; pid: number } | undefined {
  const match = /^(.*):(\d+):[0-9a-f]+$/.exec(owner);
  if (!match) return undefined;
  return { host: match[1] ?? '', pid: Number(match[2]) };
}

/** True when `owner` ran on this host in a process that no longer exists. */
export function ownerIsDeadLocally(owner: string): boolean {
  const parsed = parseOwnerId(owner);
  if (!parsed || parsed.host !== hostname()) return false;
  // Our own pid: a restarted container often gets the same pid, so only owners we created are alive.
  if (parsed.pid === process.pid) return !liveOwners.has(owner);
  try {
    process.kill(parsed.pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
