// Proves external-channel mode pairs the scenario's channels with the channels file: each channel
// gets the connector its dialect names (fake factories record the config they were given), in
// the scenario's order, and a missing or an extra channel is an InputError naming that channel.
import { describe, expect, it } from 'vitest';
import type { ChannelManifest, Connector, ConnectorConfig, ConnectorFactory } from '../../src/connectors/types.js';
import { InputError } from '../../src/engine/errors.js';
import { buildExternalChannels, type ConnectorFactories } from '../../src/serve/external-channels.js';

function fakeFactories(seen: ConnectorConfig[]): ConnectorFactories {
  const make: ConnectorFactory = (config) => {
    seen.push(config);
    const connector: Connector = {
      client: {
        id: config.channel,
        pushListing: () => Promise.resolve({ ok: true } as never),
        readListing: () => Promise.resolve(undefined),
      },
    };
    return connector;
  };
  return { shopify: make, woocommerce: make, amazon: make, ebay: make };
}

const entry = (channel: string, dialect: 'shopify' | 'amazon') => ({ channel, dialect, baseUrl: 'http://127.0.0.1:7101', accessToken: 't', secret: 's', account: 'a' });

describe('external channels', () => {
  it('builds one connector per scenario channel, in the scenario order', () => {
    const seen: ConnectorConfig[] = [];
    const manifest: ChannelManifest = { channels: [entry('amazon', 'amazon'), entry('shop', 'shopify')] };
    const built = buildExternalChannels({ scenarioChannels: ['shop', 'amazon'], manifest, factories: fakeFactories(seen) });
    expect(built.map((b) => [b.channel, b.dialect, b.connector.client.id])).toEqual([
      ['shop', 'shopify', 'shop'],
      ['amazon', 'amazon', 'amazon'],
    ]);
    expect(seen.map((c) => c.channel)).toEqual(['shop', 'amazon']);
  });

  it('names a channel missing from the file and one the scenario does not have', () => {
    const manifest: ChannelManifest = { channels: [entry('shop', 'shopify'), entry('ebay', 'amazon')] };
    let error: unknown;
    try {
      buildExternalChannels({ scenarioChannels: ['shop', 'amazon'], manifest, factories: fakeFactories([]) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain('channel "amazon" of the scenario is not in the channels file');
    expect((error as InputError).message).toContain('channels[1]: channel "ebay" is not in the scenario');
  });
});
