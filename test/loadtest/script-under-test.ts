// The shape of a generated k6 script, for the type-checker: k6-runner.ts imports this module, and
// the test's esbuild plugin replaces it with the generated script when it bundles the runner.
export declare const options: { scenarios: Record<string, { executor: string; exec: string }>; thresholds: Record<string, string[]> };
export declare function setup(): { runId: string; stockLoaded: number };
export declare function orders(data: unknown): void;
export declare function burst(data: unknown): void;
export declare function surge(data: unknown): void;
export declare function restock(data: unknown): void;
export declare function teardown(data: unknown): void;
