/** The Ebay connector (placeholder until its dialect lands). */
import type { ConnectorFactory } from './types.js';

export const createEbayConnector: ConnectorFactory = () => {
  throw new Error('the ebay connector is not built yet');
};
