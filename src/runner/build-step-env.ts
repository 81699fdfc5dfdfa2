/**
 * The environment of every child process the runner starts. Nothing is inherited by default: the app's
 * own secrets (PRIVATE_KEY, WEBHOOK_SECRET, DATABASE_URL, ...) must never reach code from a pull request,
 * which Terraform runs during plan (external data sources, providers from the PR's lock file).
 */

/** System variables a CLI needs to behave normally. */
const INHERITED_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'SHELL',
  'TERM',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
]);
const INHERITED_PREFIXES = ['LC_'];

/**
 * Names that make a value secret when they are passed through (masked in all output), wherever the word
 * sits in the name: `TF_VAR_db_pass`, `API_KEY_PROD`, `SENTRY_DSN`, `DB_CONNECTION_STRING`. Plain settings
 * (`AWS_REGION`, `TF_LOG`) stay readable: a region masked everywhere would wreck every ARN in a plan.
 */
const SECRET_NAME = /SECRET|TOKEN|PASS|CREDENTIAL|PRIVATE|KEY|AUTH|CERT|DSN|CONN|SESSION|COOKIE|SIGNATURE/i;

export function isSecretEnvName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export interface StepEnvInput {
  /** Where system variables are taken from; usually process.env. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * Further names taken from baseEnv, e.g. provider credentials the operator set for the app
   * (`AWS_PROFILE`, `GOOGLE_APPLICATION_CREDENTIALS`). A trailing `*` matches a prefix (`AWS_*`).
   */
  passEnv?: readonly string[];
  /** Added last; override the rest. */
  env?: Readonly<Record<string, string>>;
}

export interface StepEnv {
  env: Record<string, string>;
  /** Values from passEnv and env whose names look secret: callers add them to the redaction list. */
  secrets: string[];
}

/** Builds an allowlisted environment; passEnv and env values with secret-looking names are reported for redaction. */
export function buildStepEnv(input: StepEnvInput): StepEnv {
  const base = input.baseEnv ?? process.env;
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  const passExact = new Set<string>();
  const passPrefixes: string[] = [];
  for (const entry of input.passEnv ?? []) {
    if (entry.endsWith('*')) passPrefixes.push(entry.slice(0, -1));
    else passExact.add(entry);
  }
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    const system = INHERITED_NAMES.has(name) || INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix));
    const passed = passExact.has(name) || passPrefixes.some((prefix) => prefix !== '' && name.startsWith(prefix));
    if (!system && !passed) continue;
    env[name] = value;
    if (passed && isSecretEnvName(name)) secrets.push(value);
  }
  for (const [name, value] of Object.entries(input.env ?? {})) {
    env[name] = value;
    if (isSecretEnvName(name)) secrets.push(value);
  }
  return { env, secrets };
}
