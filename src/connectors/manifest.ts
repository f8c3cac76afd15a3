/**
 * The channels file of `invsim serve --channels FILE`: where each scenario channel is reached
 * and with which credentials (ChannelManifest). Validation collects every issue with its path
 * (`channels[1].baseUrl: must be an http(s) URL`) and throws them together as one InputError,
 * so the CLI exits 2 with all of them at once (STYLE.md, zod anchor).
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { InputError } from '../engine/errors.js';
import { formatPath } from '../scenarios/issues.js';
import type { ChannelManifest } from './types.js';

const nonEmpty = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });

const httpUrl = z.string({ error: 'must be a string' }).refine(
  (value) => {
    // URL.canParse is not enough: a `mailto:` or `ftp:` base would parse and then fail at the first push.
    if (!URL.canParse(value)) return false;
    const protocol = new URL(value).protocol;
    return protocol === 'http:' || protocol === 'https:';
  },
  { error: 'must be an http(s) URL' },
);

const channelSchema = z.strictObject({
  channel: nonEmpty,
  dialect: z.enum(['shopify', 'woocommerce', 'amazon', 'ebay'], {
    error: 'must be one of shopify, woocommerce, amazon, ebay',
  }),
  baseUrl: httpUrl,
  accessToken: z.string({ error: 'must be a string' }),
  secret: z.string({ error: 'must be a string' }),
  account: z.string({ error: 'must be a string' }),
});

const manifestSchema = z
  .object({
    twins: z
      .object({
        scenario: z.string(),
        seed: z.number(),
        speedup: z.number(),
        controlUrl: z.string(),
      })
      .optional(),
    channels: z.array(channelSchema, { error: 'must be a list of channels' }).min(1, { error: 'must name at least one channel' }),
  })
  .superRefine((manifest, ctx) => {
    // Two entries for one channel would leave it ambiguous which connector the dispatcher pushes through.
    const seen = new Map<string, number>();
    manifest.channels.forEach((entry, index) => {
      const first = seen.get(entry.channel);
      if (first === undefined) seen.set(entry.channel, index);
      else ctx.addIssue({ code: 'custom', path: ['channels', index, 'channel'], message: `duplicates channels[${first}] ("${entry.channel}")` });
    });
  });

/** Validates a parsed channels document; `source` names it in the error. */
export function parseChannelManifest(document: unknown, source = '--channels'): ChannelManifest {
  const result = manifestSchema.safeParse(document);
  if (result.success) {
    const { twins, channels } = result.data;
    // exactOptionalPropertyTypes: an absent `twins` must stay absent, not become `twins: undefined`.
    return twins === undefined ? { channels } : { twins, channels };
  }
  const lines = result.error.issues.map((issue) => {
    const path = formatPath(issue.path.filter((key): key is string | number => typeof key !== 'symbol'));
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  return failWith(source, lines);
}

function failWith(source: string, lines: readonly string[]): never {
  throw new InputError(`${source}: invalid channels file:\n  ${lines.join('\n  ')}`, {
    field: source,
    reason: lines.join('; '),
  });
}

/** Reads and validates a channels file (YAML or JSON, which YAML includes). */
export async function loadChannelManifest(file: string): Promise<ChannelManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw InputError.of('--channels', `cannot read ${file}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw InputError.of('--channels', `${file} is not valid YAML: ${(error as Error).message}`);
  }
  return parseChannelManifest(document, `--channels ${file}`);
}
