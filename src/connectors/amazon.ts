/** The Amazon connector (placeholder until its dialect lands). */
import type { ConnectorFactory } from './types.js';

export const createAmazonConnector: ConnectorFactory = () => {
  throw new Error('the amazon connector is not built yet');
};
