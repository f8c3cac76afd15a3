/** The Amazon twin (placeholder until its dialect lands). */
import type { TwinProtocolFactory } from './protocol.js';

export const createAmazonTwin: TwinProtocolFactory = () => {
  throw new Error('the amazon twin is not built yet');
};
