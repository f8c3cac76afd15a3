/** The WooCommerce twin (placeholder until its dialect lands). */
import type { TwinProtocolFactory } from './protocol.js';

export const createWooCommerceTwin: TwinProtocolFactory = () => {
  throw new Error('the woocommerce twin is not built yet');
};
