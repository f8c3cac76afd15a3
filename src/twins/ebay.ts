/** The Ebay twin (placeholder until its dialect lands). */
import type { TwinProtocolFactory } from './protocol.js';

export const createEbayTwin: TwinProtocolFactory = () => {
  throw new Error('the ebay twin is not built yet');
};
