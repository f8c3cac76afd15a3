/**
 * `invsim k6`'s library function: writes DIR/<scenario>.ts (typed with @types/k6), the k6 library
 * it imports (DIR/lib/*.ts, copied from loadtest/lib), a DIR/tsconfig.json for editors and tsc,
 * and DIR/<scenario>.js, the esbuild bundle k6 runs (ES2017, `k6` and `k6/*` left as imports).
 *
 * Why ES2017: k6 v0.48 compiles every script with an embedded Babel 6.26 (only the plugin
 * `transform-es2015-modules-commonjs`), which rejects optional catch binding (ES2019) and object
 * rest/spread (ES2018); esbuild rewrites both for es2017. Every bundle is checked with that Babel
 * (`babel-standalone@6.26.0`) in the test suite, and the sources type-check against @types/k6 for
 * v0.48 and for the current k6.
 */
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { assertWritable, writeFilesAtomically, type OutputFile } from '../adapters/output-file.js';
import { InputError } from '../engine/errors.js';
import type { Scenario } from '../scenarios/schema.js';
import { planScript, type K6ScriptConfig, type PlanOptions } from './plan.js';

/** loadtest/lib, from src/loadtest or dist/loadtest alike. */
export const K6_LIB_DIR = fileURLToPath(new URL('../../loadtest/lib/', import.meta.url));

export interface GenerateOptions extends PlanOptions {
  readonly outDir: string;
  /** k6 instances to split the test over: with 2 or more, a k6-operator TestRun manifest is written too. */
  readonly parallelism?: number;
}

export interface GeneratedScript {
  readonly tsFile: string;
  readonly jsFile: string;
  readonly libDir: string;
  readonly tsconfigFile: string;
  readonly config: K6ScriptConfig;
  readonly bundleBytes: number;
  /** Where `k6 run --summary-export` should write the JSON summary: beside the script. */
  readonly summaryFile: string;
  /** The k6-operator manifest (ConfigMap with the bundle, and a TestRun), when parallelism ≥ 2. */
  readonly manifestFile: string | null;
}

/** A ConfigMap holds at most 1 MiB (Kubernetes' limit on an object in etcd). */
export const CONFIGMAP_MAX_BYTES = 1_048_576;

export const GENERATED_TSCONFIG = {
  compilerOptions: {
    target: 'ES2017',
    lib: ['ES2017'],
    module: 'ESNext',
    moduleResolution: 'Bundler',
    types: ['k6'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    noEmit: true,
    // @types/k6 itself does not compile under exactOptionalPropertyTypes; our files still do.
    skipLibCheck: true,
  },
  include: ['*.ts', 'lib/*.ts'],
} as const;

export async function generateK6Script(scenario: Scenario, options: GenerateOptions): Promise<GeneratedScript> {
  const parallelism = options.parallelism ?? 1;
  if (!Number.isSafeInteger(parallelism) || parallelism < 1) throw InputError.of('--parallelism', `must be an integer >= 1, got ${parallelism}`);
  const config = planScript(scenario, options);
  const outDir = resolve(options.outDir);
  const libDir = join(outDir, 'lib');
  const tsFile = join(outDir, `${scenario.name}.ts`);
  const jsFile = join(outDir, `${scenario.name}.js`);
  const tsconfigFile = join(outDir, 'tsconfig.json');
  const manifestFile = parallelism >= 2 ? join(outDir, `${scenario.name}.testrun.yaml`) : null;
  const libFiles = readdirSync(K6_LIB_DIR)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ path: join(libDir, name), data: readFileSync(join(K6_LIB_DIR, name)) }));
  // Every destination is checked before anything is written; then each file is written
  // atomically (src/adapters/output-file.ts), so a reader never sees half a script.
  const named = { option: '--out', shown: options.outDir };
  assertWritable([...libFiles, { path: tsFile }, { path: tsconfigFile }, { path: jsFile }, ...(manifestFile === null ? [] : [{ path: manifestFile }])].map((f) => ({ ...named, path: f.path })));
  // esbuild bundles from disk (the script imports ./lib/*), so the sources go first.
  const sources: OutputFile[] = [
    ...libFiles.map((f) => ({ ...named, ...f })),
    { ...named, path: tsFile, data: scriptSource(config) },
    { ...named, path: tsconfigFile, data: `${JSON.stringify(GENERATED_TSCONFIG, null, 2)}\n` },
  ];
  writeFilesAtomically(sources);
  const result = await build({
    entryPoints: [tsFile],
    outfile: jsFile,
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2017',
    external: ['k6', 'k6/*'],
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
    banner: { js: `// Bundled by esbuild from ${scenario.name}.ts (${config.generatedBy}). Run: k6 run --summary-export ${scenario.name}.summary.json ${scenario.name}.js -e BASE_URL=… -e WEBHOOK_SECRET=… -e ADMIN_TOKEN=…` },
  });
  const bundleBytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  const output = result.outputFiles.find((f) => f.path === jsFile);
  if (output === undefined) throw new Error(`esbuild produced no ${jsFile} (it produced ${result.outputFiles.map((f) => f.path).join(', ')})`);
  const bundle = output.text;
  const outputs: OutputFile[] = [{ ...named, path: jsFile, data: output.contents }];
  if (manifestFile !== null) {
    if (Buffer.byteLength(bundle) > CONFIGMAP_MAX_BYTES) {
      const tooBig = `the bundle is ${Buffer.byteLength(bundle)} bytes, more than a ConfigMap holds (${CONFIGMAP_MAX_BYTES}); mount it from a volume instead`;
      throw new InputError(`--parallelism: ${tooBig}`, { field: '--parallelism', reason: tooBig });
    }
    outputs.push({ ...named, path: manifestFile, data: testRunManifest(scenario.name, bundle, parallelism, config) });
  }
  writeFilesAtomically(outputs);
  return { tsFile, jsFile, libDir, tsconfigFile, config, bundleBytes, summaryFile: join(outDir, `${scenario.name}.summary.json`), manifestFile };
}

/** A Kubernetes name: lowercase alphanumerics and '-', at most 63 characters. */
function k8sName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'invsim';
}

/**
 * The k6-operator manifest for a test split over `parallelism` runners: a ConfigMap holding the
 * bundle and a TestRun (k6.io/v1alpha1) that runs it. The operator gives each runner its
 * execution segment; the script divides the orders and loads the stock once (runtime.ts). The
 * secrets come from a Secret the user creates (named in the comment); BASE_URL is to be set.
 */
export function testRunManifest(scenarioName: string, bundle: string, parallelism: number, config: K6ScriptConfig): string {
  const name = k8sName(`invsim-${scenarioName}`);
  const file = `${scenarioName}.js`;
  const secret = `${name}-secrets`;
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-script` }, data: { [file]: bundle } };
  const testRun = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name },
    spec: {
      parallelism,
      script: { configMap: { name: `${name}-script`, file } },
      arguments: `--tag testid=${name}`,
      separate: false,
      runner: {
        env: [
          { name: 'BASE_URL', value: 'http://invsim.staging.svc:8080' },
          { name: 'WEBHOOK_SECRET', valueFrom: { secretKeyRef: { name: secret, key: 'webhook-secret' } } },
          { name: 'ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: secret, key: 'admin-token' } } },
        ],
      },
    },
  };
  const header = [
    `# k6-operator manifest: scenario ${scenarioName} split over ${parallelism} runners (${config.generatedBy}).`,
    '# Each runner gets its execution segment from the operator; the script divides the orders among',
    '# them and the first segment alone resets (RESET=1) and loads the stock. Before applying:',
    `#   kubectl create secret generic ${secret} --from-literal=webhook-secret=… --from-literal=admin-token=…`,
    '#   and set BASE_URL below to the service under test. Then: kubectl apply -f this file.',
    '',
  ].join('\n');
  return `${header}${stringify(configMap, { lineWidth: 0 })}---\n${stringify(testRun, { lineWidth: 0 })}`;
}

/** The generated script: the config as a typed literal, and k6's exports wired to the runtime. */
export function scriptSource(config: K6ScriptConfig): string {
  return `// Generated by \`${config.generatedBy}\`: regenerate rather than edit.
// k6 script for scenario ${config.scenario}; thresholds mirror the assert blocks of strategy ${config.strategy}.
// Written for k6 v0.48 and later (v1.x included). Run the bundle beside this file:
//   k6 run --summary-export ${config.scenario}.summary.json ${config.scenario}.js -e BASE_URL=http://127.0.0.1:8080 -e WEBHOOK_SECRET=… -e ADMIN_TOKEN=…
import type { ScriptConfig } from './lib/config.js';
import { createScript } from './lib/runtime.js';

const config: ScriptConfig = ${literal(config, '')};

const script = createScript(config);

export const options = script.options;
export const setup = script.setup;
export const teardown = script.teardown;
export const orders = script.orders;
export const burst = script.burst;
export const surge = script.surge;
export const restock = script.restock;
export default script.orders;
`;
}

/** A readable object literal: objects one key a line, arrays of scalars packed ~100 columns wide. */
export function literal(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => typeof v !== 'object' || v === null)) return packed(value.map((v) => JSON.stringify(v)), indent);
    return `[\n${value.map((v) => `${indent}  ${literal(v, `${indent}  `)},`).join('\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const key = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
    if (entries.every(([, v]) => typeof v !== 'object' || v === null)) {
      const oneLine = `{ ${entries.map(([k, v]) => `${key(k)}: ${JSON.stringify(v)}`).join(', ')} }`;
      if (indent.length + oneLine.length <= 100) return oneLine;
    }
    return `{\n${entries.map(([k, v]) => `${indent}  ${key(k)}: ${literal(v, `${indent}  `)},`).join('\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function packed(items: readonly string[], indent: string): string {
  const oneLine = `[${items.join(', ')}]`;
  if (oneLine.length + indent.length <= 100) return oneLine;
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line.length > 0 && indent.length + 2 + line.length + item.length + 2 > 100) {
      lines.push(line);
      line = '';
    }
    line += `${item}, `;
  }
  if (line.length > 0) lines.push(line);
  return `[\n${lines.map((l) => `${indent}  ${l.trimEnd()}`).join('\n')}\n${indent}]`;
}
