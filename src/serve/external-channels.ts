/**
 * External-channel mode of `invsim serve --channels FILE`: the scenario's channels are reached
 * through real connectors (src/connectors) instead of the in-process SimChannel models. This
 * module pairs the scenario's channels with the manifest's entries and builds one connector per
 * channel; a channel missing from the manifest, or a manifest entry the scenario does not have,
 * is the user's to fix (InputError, exit 2), named by its channel id.
 */
import { CONNECTOR_FACTORIES } from '../connectors/index.js';
import type { ChannelManifest, Connector, ConnectorDialect, ConnectorFactory } from '../connectors/types.js';
import { InputError } from '../engine/errors.js';
import type { Scenario } from '../scenarios/schema.js';

export type ConnectorFactories = Readonly<Record<ConnectorDialect, ConnectorFactory>>;

export interface ExternalChannel {
  readonly channel: string;
  readonly dialect: ConnectorDialect;
  readonly connector: Connector;
}

/** Every mismatch between the scenario's channel ids and the manifest's, at once. */
export function manifestMismatches(scenarioChannels: readonly string[], manifest: ChannelManifest): string[] {
  const inManifest = new Set(manifest.channels.map((entry) => entry.channel));
  const inScenario = new Set(scenarioChannels);
  const problems: string[] = [];
  for (const id of scenarioChannels) {
    if (!inManifest.has(id)) problems.push(`channel "${id}" of the scenario is not in the channels file`);
  }
  manifest.channels.forEach((entry, index) => {
    if (!inScenario.has(entry.channel)) problems.push(`channels[${index}]: channel "${entry.channel}" is not in the scenario (it has ${scenarioChannels.join(', ')})`);
  });
  return problems;
}

/** The connectors in the scenario's channel order (the dispatcher's order). */
export function buildExternalChannels(options: {
  readonly scenarioChannels: readonly string[];
  readonly manifest: ChannelManifest;
  readonly factories?: ConnectorFactories;
  /**
   * Real ms between polls of a polling channel's orders: its preset's interval compressed by the
   * service's speedup (the connector's default is the uncompressed interval).
   */
  readonly pollIntervalMs?: (channel: string) => number | undefined;
  /**
   * The service's speedup (scenario ms per real ms), given to every connector: the channels speak
   * real time and the engine scenario time, so each connector converts the waits it reads.
   */
  readonly speedup?: number;
}): ExternalChannel[] {
  const problems = manifestMismatches(options.scenarioChannels, options.manifest);
  if (problems.length > 0) {
    throw new InputError(`--channels: the channels file does not match the scenario:\n  ${problems.join('\n  ')}`, {
      field: '--channels',
      reason: problems.join('; '),
    });
  }
  const factories = options.factories ?? CONNECTOR_FACTORIES;
  return options.scenarioChannels.map((id) => {
    // manifestMismatches has checked every scenario channel has its entry.
    const entry = options.manifest.channels.find((e) => e.channel === id)!;
    const pollIntervalMs = options.pollIntervalMs?.(id);
    const config = { ...entry, ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }), ...(options.speedup === undefined ? {} : { speedup: options.speedup }) };
    return { channel: id, dialect: entry.dialect, connector: factories[entry.dialect](config) };
  });
}

/** The reason /audit gives for the channel-model measures it does not report in this mode. */
export const EXTERNAL_MEASURES_REASON = 'the channels are external; measure them at the channels (invsim twins /twins/audit)';

/**
 * The catalogue's SKU names, as the load plan names them (src/loadtest/plan.ts skuNames, which
 * this layer may not import): the connectors map them to the marketplace's ids at reset.
 */
export function catalogSkus(scenario: Scenario): string[] {
  const cat = scenario.catalog;
  const width = String(cat.skus).length;
  return Array.from({ length: cat.skus }, (_, i) => `${cat.skuPrefix}${String(i + 1).padStart(width, '0')}`);
}
