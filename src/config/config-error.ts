/** One problem in `.github/infra-review.yml`, located so a user can jump to it. */
export interface ConfigError {
  /** Repository path of the config file, e.g. `.github/infra-review.yml`. */
  file: string;
  /** YAML path of the offending value, e.g. `projects[0].autoplan`; empty for the whole document. */
  path: string;
  /** 1-based line of the offending key or value. */
  line: number;
  /** 1-based column. */
  column: number;
  message: string;
}

/** `file:line:column: path: message`, the form editors and CI logs make clickable. */
export function formatConfigError(error: ConfigError): string {
  const where = `${error.file}:${error.line}:${error.column}`;
  return error.path ? `${where}: ${error.path}: ${error.message}` : `${where}: ${error.message}`;
}
