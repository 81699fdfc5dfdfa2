/** An expected CLI failure: message goes to stderr, exitCode is 1 (analysis failure) or 2 (bad input). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
