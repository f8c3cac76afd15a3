// A channel with no injected fault: never active, no error, throttle or timeout, no outage or
// latency spike. The dialect tests start their twins on it and override what a test injects.
import type { ChannelFaults } from '../../src/model/channel.js';

export const NO_FAULTS: ChannelFaults = {
  active: () => false,
  serverErrorRate: 0,
  throttleRate: 0,
  throttleRetryAfterMs: 0,
  timeoutRate: 0,
  timeoutMs: 30_000,
  timeoutAppliedShare: 0,
  latencyMultiplier: () => 1,
  inOutage: () => false,
};
