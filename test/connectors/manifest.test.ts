// Proves the channels file loader accepts a well-formed manifest and rejects a bad one with
// every problem named by its path, as an InputError (exit 2), including an unreadable file.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadChannelManifest, parseChannelManifest } from '../../src/connectors/manifest.js';
import { InputError } from '../../src/engine/errors.js';

const good = {
  channels: [
    { channel: 'shopify', dialect: 'shopify', baseUrl: 'http://127.0.0.1:7101', accessToken: 't', secret: 's', account: 'shop' },
    { channel: 'amazon', dialect: 'amazon', baseUrl: 'https://sellingpartnerapi-na.amazon.com', accessToken: 't', secret: '', account: 'A1' },
  ],
};

function caught(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('channels manifest', () => {
  it('accepts a well-formed manifest', () => {
    expect(parseChannelManifest(good).channels.map((c) => c.channel)).toEqual(['shopify', 'amazon']);
  });

  it('names every problem with its path', () => {
    const bad = {
      channels: [
        good.channels[0],
        { channel: 'woo', dialect: 'magento', baseUrl: 'ftp://x', accessToken: 't', secret: 's', account: 'a' },
        { ...good.channels[0], extra: 1 },
      ],
    };
    const error = caught(() => parseChannelManifest(bad));
    expect(error.field).toBe('--channels');
    expect(error.message).toContain('channels[1].baseUrl: must be an http(s) URL');
    expect(error.message).toContain('channels[1].dialect: must be one of');
    expect(error.message).toContain('channels[2]');
    expect(error.message).toContain('extra');
  });

  it('rejects a channel named twice and an empty list', () => {
    expect(caught(() => parseChannelManifest({ channels: [good.channels[0], good.channels[0]] })).message).toContain(
      'channels[1].channel: duplicates channels[0]',
    );
    expect(caught(() => parseChannelManifest({ channels: [] })).message).toContain('channels: must name at least one channel');
  });

  it('loads YAML from a file and names --channels when the file cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'invsim-manifest-'));
    const file = join(dir, 'channels.yaml');
    await writeFile(file, 'channels:\n  - {channel: ebay, dialect: ebay, baseUrl: "http://127.0.0.1:7104", accessToken: t, secret: s, account: u}\n');
    expect((await loadChannelManifest(file)).channels[0]?.dialect).toBe('ebay');
    await expect(loadChannelManifest(join(dir, 'missing.yaml'))).rejects.toMatchObject({ name: 'InputError', field: '--channels' });
  });
});
