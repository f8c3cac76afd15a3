/** The channel twins: the world (servers, storefronts, control), the black-box audit, the customers, and the ports the dialects implement. */
export { API_OUTCOMES, BlackBoxAudit, type ApiOutcome, type AuditListener, type AuditReport, type BlackBoxAuditOptions, type ChannelAuditReport } from './audit.js';
export { MAX_TWIN_QUANTITY, TwinChannel, type CallOutcome, type CallRefusal, type ListingWrite, type TwinObserver, type WriteResult } from './channel.js';
export { DIALECT_OF_PRESET, TWIN_FACTORIES } from './dialects.js';
export { adjustmentPoster, driveCustomers, DriveLimitError, twinLoadPlan, type DriveOptions, type DriveProgress, type DriveSummary, type DriveTarget } from './drive.js';
export type { TwinCredentials, TwinDialect, TwinOrder, TwinProtocol, TwinProtocolContext, TwinProtocolFactory, WebhookStats } from './protocol.js';
export { twinCatalog, twinCredentials, twinDialects, TwinWorld, type BuyResult, type RunningTwin, type TwinAuditBody, type TwinWorldOptions } from './world.js';
