// `npm run account:set`'s arguments and what it prints: an account's own quotas and countries.
import { getCountries, type CountryCode } from 'libphonenumber-js/max';
import { NON_GEOGRAPHIC } from '../config/configuration';

/** A setting to write: a value of the account's own, or null for the deployment's. */
export interface SettingsChange {
  dailyMessageQuota?: number | null;
  dailySegmentQuota?: number | null;
  allowedCountries?: string[] | null;
}

export interface SetAccountArgs {
  /** The account's id or name. */
  account: string;
  change: SettingsChange;
}

export const USAGE =
  'Usage: npm run account:set -- <account id or name> [--daily-messages N|default] ' +
  '[--daily-segments N|default] [--countries US,GB|default]\n' +
  '  N = 0 makes the quota unlimited for this account; "default" goes back to the deployment\'s\n' +
  '  setting (DAILY_MESSAGE_QUOTA, DAILY_SEGMENT_QUOTA, ALLOWED_COUNTRIES). Without flags it prints\n' +
  "  the account's settings.";

/** A wrong argument: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {}

const QUOTA_FLAGS = {
  '--daily-messages': 'dailyMessageQuota',
  '--daily-segments': 'dailySegmentQuota',
} as const;
const MAX_QUOTA = 1_000_000_000_000;

/** Parses `<account> [--flag value | --flag=value]...`; throws UsageError naming what is wrong. */
export function parseSetAccountArgs(argv: readonly string[]): SetAccountArgs {
  const words: string[] = [];
  const change: SettingsChange = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value.startsWith('--')) {
      throw new UsageError(`${flag} needs a value`);
    }
    if (flag in QUOTA_FLAGS) {
      const field = QUOTA_FLAGS[flag as keyof typeof QUOTA_FLAGS];
      if (field in change) throw new UsageError(`${flag} is given twice`);
      change[field] = quota(flag, value);
    } else if (flag === '--countries') {
      if ('allowedCountries' in change) throw new UsageError(`${flag} is given twice`);
      change.allowedCountries = countries(value);
    } else {
      throw new UsageError(`unknown option ${flag}`);
    }
  }
  const account = words.join(' ').trim();
  if (!account) throw new UsageError('the account (its id or name) is missing');
  return { account, change };
}

function quota(flag: string, value: string): number | null {
  if (value.toLowerCase() === 'default') return null;
  if (!/^\d+$/.test(value) || Number(value) > MAX_QUOTA) {
    throw new UsageError(
      `${flag} must be a whole number from 0 (unlimited) to ${MAX_QUOTA}, or "default"; got "${value}"`,
    );
  }
  return Number(value);
}

function countries(value: string): string[] | null {
  if (value.trim().toLowerCase() === 'default') return null;
  const codes = [
    ...new Set(
      value
        .split(',')
        .map((code) => code.trim().toUpperCase())
        .filter((code) => code !== ''),
    ),
  ];
  if (!codes.length) {
    throw new UsageError('--countries must list ISO codes such as US,GB, or be "default"');
  }
  const unknown = codes.filter(
    (code) => code !== NON_GEOGRAPHIC && !getCountries().includes(code as CountryCode),
  );
  if (unknown.length) {
    throw new UsageError(
      `--countries must list ISO 3166-1 alpha-2 codes such as US,GB (or ${NON_GEOGRAPHIC} for numbers of no country); unknown: ${unknown.join(', ')}`,
    );
  }
  return codes;
}

/** An account's settings as stored, and the deployment's that apply where it has none. */
export interface AccountSettings {
  id: string;
  name: string;
  dailyMessageQuota: number | null;
  dailySegmentQuota: number | null;
  allowedCountries: string[] | null;
}
export interface DeploymentSettings {
  dailyMessages: number;
  dailySegments: number;
  allowedCountries: string[];
}

/** What account:set prints: each setting, whose it is, and what it comes to. */
export function describeSettings(account: AccountSettings, deployment: DeploymentSettings): string {
  const limit = (value: number) => (value === 0 ? 'unlimited' : `${value} a day (UTC)`);
  const quotaLine = (label: string, own: number | null, variable: string, fallback: number) =>
    own === null
      ? `  ${label}: ${limit(fallback)} (the deployment's ${variable})`
      : `  ${label}: ${limit(own)} (this account's own)`;
  const allowed = deployment.allowedCountries;
  const countryLine =
    account.allowedCountries === null
      ? `  countries: ${allowed.length ? allowed.join(',') : 'all'} (the deployment's ALLOWED_COUNTRIES)`
      : `  countries: ${account.allowedCountries.join(',')} (this account's own, within ALLOWED_COUNTRIES)`;
  const lines = [
    `Account "${account.name}" (${account.id}):`,
    quotaLine(
      'daily messages',
      account.dailyMessageQuota,
      'DAILY_MESSAGE_QUOTA',
      deployment.dailyMessages,
    ),
    quotaLine(
      'daily segments',
      account.dailySegmentQuota,
      'DAILY_SEGMENT_QUOTA',
      deployment.dailySegments,
    ),
    countryLine,
  ];
  const outside = (account.allowedCountries ?? []).filter(
    (code) => allowed.length > 0 && !allowed.includes(code),
  );
  if (outside.length) {
    lines.push(
      `  note: ${outside.join(',')} ${outside.length === 1 ? 'is' : 'are'} not in ALLOWED_COUNTRIES (${allowed.join(',')}), so still refused`,
    );
  }
  return `${lines.join('\n')}\n`;
}
