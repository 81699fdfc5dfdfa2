import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './database-schema.js';
import { PlanFileError } from './store-errors.js';
import type { PlanFileOwner, PlanFileRef } from './store.js';

/** Where binary plan files live. Locations are opaque strings recorded on the plan. */
export interface PlanFileStorage {
  put(owner: PlanFileOwner, data: Uint8Array): Promise<PlanFileRef>;
  get(ref: Pick<PlanFileRef, 'location' | 'sha256'>): Promise<Buffer>;
  delete(location: string): Promise<boolean>;
  /** Delete plan files older than the cutoff that no plan references any more (database storage only). */
  pruneOrphans(cutoff: number): Promise<number>;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function checkHash(data: Buffer, expected: string, location: string): Buffer {
  const actual = sha256Hex(data);
  if (actual !== expected.toLowerCase()) {
    throw new PlanFileError('hash-mismatch', `plan file ${location} was altered since it was stored (SHA-256 ${actual}, expected ${expected}); plan again`);
  }
  return data;
}

/** A path segment that cannot climb out of its folder and stays readable for operators. */
function safeSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return (cleaned || '_').slice(0, 80);
}

/**
 * Files under DATA_DIR/plans/<owner>/<repo>/<pr>/<project>/<workspace>/, mode 0600 in 0700 folders:
 * plan files can hold secrets in clear text. Written to a temporary name, fsynced, then renamed, so a
 * reader never sees half a file.
 */
export class FilePlanFileStorage implements PlanFileStorage {
  private readonly root: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, 'plans');
  }

  async put(owner: PlanFileOwner, data: Uint8Array): Promise<PlanFileRef> {
    const sha256 = sha256Hex(data);
    const [org, name] = owner.repo.includes('/') ? owner.repo.split('/', 2) : ['_', owner.repo];
    const relative = path.join(
      safeSegment(org ?? '_'),
      safeSegment(name ?? '_'),
      String(Math.trunc(owner.pr)),
      safeSegment(owner.project),
      safeSegment(owner.workspace),
      `${safeSegment(owner.headSha).slice(0, 40)}-${randomBytes(6).toString('hex')}.tfplan`,
    );
    const target = path.join(this.root, relative);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const temporary = `${target}.tmp`;
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.chmod(0o600); // in case a umask or an odd filesystem widened it
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
    return { location: `file:plans/${relative.split(path.sep).join('/')}`, sha256, size: data.byteLength };
  }

  async get(ref: Pick<PlanFileRef, 'location' | 'sha256'>): Promise<Buffer> {
    const file = this.resolve(ref.location);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new PlanFileError('missing', `plan file ${ref.location} no longer exists; plan again`);
      throw error;
    }
    return checkHash(data, ref.sha256, ref.location);
  }

  async delete(location: string): Promise<boolean> {
    try {
      await unlink(this.resolve(location));
      return true;
    } catch (error) {
      if (error instanceof PlanFileError || (error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async pruneOrphans(): Promise<number> {
    return 0;
  }

  /** Remove the whole plans folder (tests). */
  async destroy(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  private resolve(location: string): string {
    if (!location.startsWith('file:plans/')) throw new PlanFileError('bad-location', `plan file location ${location} is not a file in DATA_DIR/plans`);
    const file = path.resolve(this.root, location.slice('file:plans/'.length));
    // The location comes from our own database, but a path outside plans/ is never read.
    if (!file.startsWith(this.root + path.sep)) throw new PlanFileError('bad-location', `plan file location ${location} leaves DATA_DIR/plans`);
    return file;
  }
}

/** Plan files as bytea rows, so any replica can apply a plan another one made. */
export class DatabasePlanFileStorage implements PlanFileStorage {
  constructor(private readonly db: Kysely<Database>) {}

  async put(_owner: PlanFileOwner, data: Uint8Array): Promise<PlanFileRef> {
    const sha256 = sha256Hex(data);
    const row = await this.db
      .insertInto('plan_files')
      .values({ sha256, data: Buffer.from(data), created_at: Date.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { location: `db:${row.id}`, sha256, size: data.byteLength };
  }

  async get(ref: Pick<PlanFileRef, 'location' | 'sha256'>): Promise<Buffer> {
    const id = this.idOf(ref.location);
    const row = await this.db.selectFrom('plan_files').select(['data', 'sha256']).where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlanFileError('missing', `plan file ${ref.location} no longer exists; plan again`);
    if (row.sha256 !== ref.sha256.toLowerCase()) {
      throw new PlanFileError('hash-mismatch', `plan file ${ref.location} is not the one the plan recorded (SHA-256 ${row.sha256}, expected ${ref.sha256}); plan again`);
    }
    return checkHash(Buffer.from(row.data), ref.sha256, ref.location);
  }

  async delete(location: string): Promise<boolean> {
    let id: number;
    try {
      id = this.idOf(location);
    } catch {
      return false;
    }
    const result = await this.db.deleteFrom('plan_files').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async pruneOrphans(cutoff: number): Promise<number> {
    // Files whose plan record was never written (a crash between put and record) or was pruned.
    const result = await sql`
      delete from plan_files
      where created_at < ${cutoff}
        and not exists (select 1 from plans where plans.planfile_location = 'db:' || plan_files.id)`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  private idOf(location: string): number {
    const match = /^db:(\d+)$/.exec(location);
    if (!match) throw new PlanFileError('bad-location', `plan file location ${location} is not a database plan file`);
    return Number(match[1]);
  }
}
