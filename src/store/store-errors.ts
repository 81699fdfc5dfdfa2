/** The database holds a schema newer than this code knows: refuse to run rather than silently downgrade. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly databaseVersion: number,
    readonly codeVersion: number,
  ) {
    super(
      `the database schema is version ${databaseVersion} but this infra-review knows only up to version ${codeVersion}; ` +
        'run a newer infra-review (or restore a backup) instead of downgrading',
    );
    this.name = 'SchemaTooNewError';
  }
}

export type PlanFileErrorCode = 'missing' | 'hash-mismatch' | 'bad-location';

/** A plan file cannot be handed out: it is gone, was altered since it was stored, or its location is not ours. */
export class PlanFileError extends Error {
  constructor(
    readonly code: PlanFileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PlanFileError';
  }
}

/** A record that an update names does not exist. */
export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}
