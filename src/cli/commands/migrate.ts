/** `invsim migrate`: applies the PostgreSQL store's schema migrations (idempotent). */
import type { Argv } from 'yargs';
import { StoreUnavailableError, StoreUrlError } from '../../stores/errors.js';
import { migrate, type MigrationReport } from '../../stores/migrate.js';
import { connectClient, describePostgres } from '../../stores/pg-util.js';
import { parseStoreUrl } from '../../stores/url.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';

export interface MigrateArgs {
  store: string | undefined;
  json: boolean;
}

export function migrateBuilder(y: Argv): Argv<MigrateArgs> {
  return y
    .option('store', {
      type: 'string',
      describe: 'the store: postgres://user@host:port/database[?schema=NAME] (redis:// and memory need no migration)',
      default: process.env['INVSIM_STORE'],
      defaultDescription: '$INVSIM_STORE',
    })
    .option('json', { type: 'boolean', describe: 'print one JSON document on stdout', default: false })
    .example("$0 migrate --store 'postgres://postgres@127.0.0.1:5432/invsim'", 'create or update the schema invsim')
    .example("$0 migrate --store 'postgres://postgres@127.0.0.1:5432/test?schema=staging'", 'another schema in the same database') as unknown as Argv<MigrateArgs>;
}

export interface MigrateResult {
  readonly store: string;
  readonly kind: 'memory' | 'redis' | 'postgres';
  /** PostgreSQL only. */
  readonly report?: MigrationReport;
}

/** Library entry point: applies pending migrations for a store URL. */
export async function migrateStore(url: string): Promise<MigrateResult> {
  const location = parseStoreUrl(url);
  if (location.kind === 'memory') return { store: 'memory', kind: 'memory' };
  if (location.kind === 'redis') return { store: location.display, kind: 'redis' };
  const client = await connectClient(location.url);
  try {
    return { store: location.display, kind: 'postgres', report: await migrate(client, location.schema) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function migrateCommand(args: MigrateArgs, io: Io): Promise<number> {
  if (args.store === undefined || args.store.trim() === '') {
    io.err('invsim: migrate needs --store postgres://… (or INVSIM_STORE)\n');
    return EXIT.usage;
  }
  let result: MigrateResult;
  try {
    result = await migrateStore(args.store);
  } catch (error) {
    if (error instanceof StoreUrlError) {
      io.err(`invsim: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof StoreUnavailableError) {
      io.err(`invsim: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
  io.out(args.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
  return EXIT.ok;
}

function describe(result: MigrateResult): string {
  const { report } = result;
  if (report === undefined) return `invsim migrate: ${result.store}: a ${result.kind} store has no schema to migrate\n`;
  const where = `schema ${report.schema} at ${describePostgres(result.store)}`;
  if (report.applied.length === 0) return `invsim migrate: ${where} is up to date (${report.current.join(', ')})\n`;
  return `invsim migrate: ${where}: applied ${report.applied.join(', ')}\n`;
}
