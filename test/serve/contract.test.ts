// Proves that loadtest/contract.openapi.yaml and the running service say the same thing: its
// component schemas equal (refs resolved) the schemas the service validates and serializes with,
// its path parameters carry the service's patterns, and its paths are exactly the service's routes.
// And that the document itself is clean: swagger-parser validates it against the OpenAPI 3.1
// schema, and Redocly's CLI lints it with the `recommended` ruleset with no error or warning
// (offline: no telemetry, no update check).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildHttpServer } from '../../src/serve/http.js';
import { CHANNEL_PATTERN, CONTRACT_SCHEMAS, SKU_PATTERN } from '../../src/serve/schemas.js';
import { InventoryService } from '../../src/serve/service.js';
import { ROOT, SECRETS, shippedScenario } from './helpers.js';

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema?: { pattern?: string }; $ref?: string }[] }>>;
  components: { schemas: Record<string, unknown>; parameters: Record<string, { name: string; schema: { pattern: string } }> };
}

const CONTRACT = `${ROOT}loadtest/contract.openapi.yaml`;
const contract = parse(readFileSync(CONTRACT, 'utf8')) as OpenApi;

interface RedoclyReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer?: string }[] }[];
}

/** `redocly lint --extends recommended --format json` on the contract (asynchronous: see test/cli/helpers.ts). */
function redoclyLint(): Promise<RedoclyReport> {
  const cli = `${ROOT}node_modules/@redocly/cli/bin/cli.js`;
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, 'lint', '--extends', 'recommended', '--format', 'json', CONTRACT], { cwd: ROOT, env, encoding: 'utf8' }, (error, stdout, stderr) => {
      // The CLI exits 1 when it finds errors and still prints its report.
      try {
        resolve(JSON.parse(stdout) as RedoclyReport);
      } catch {
        reject(error ?? new Error(`redocly printed no JSON report: ${stderr}`));
      }
    });
  });
}

function resolveRefs(value: unknown, depth = 0): unknown {
  if (depth > 20) throw new Error('$ref nesting deeper than 20');
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    const name = /^#\/components\/schemas\/(\w+)$/.exec(ref)?.[1];
    if (name === undefined || contract.components.schemas[name] === undefined) throw new Error(`unresolvable $ref ${ref}`);
    return resolveRefs(contract.components.schemas[name], depth + 1);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, depth + 1)]));
}

/**
 * `METHOD /path/{param}` for each route in fastify's printRoutes tree (4 columns per level, a
 * child's segment appended to its parent's path); HEAD comes with every GET and is left out.
 */
function servedRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│├└─\s]*)(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (match === null) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + match[2]!;
    stack.push(path);
    for (const method of match[3]?.split(',').map((m) => m.trim()) ?? []) {
      if (method !== 'HEAD') routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
}

describe('the OpenAPI contract', () => {
  it('is OpenAPI 3.1', () => {
    expect(contract.openapi).toMatch(/^3\.1\./);
  });

  it('validates with swagger-parser', async () => {
    await expect(SwaggerParser.validate(CONTRACT)).resolves.toMatchObject({ openapi: contract.openapi });
  });

  it("lints clean with Redocly's recommended rules", async () => {
    const report = await redoclyLint();
    expect(report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`)).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  }, 60_000);

  it.each(Object.keys(CONTRACT_SCHEMAS))('components.schemas.%s equals the service schema', (name) => {
    expect(resolveRefs(contract.components.schemas[name])).toEqual(JSON.parse(JSON.stringify(CONTRACT_SCHEMAS[name as keyof typeof CONTRACT_SCHEMAS])));
  });

  it('has no schema the service does not use', () => {
    expect(Object.keys(contract.components.schemas).sort()).toEqual(Object.keys(CONTRACT_SCHEMAS).sort());
  });

  it('uses the service patterns for path parameters', () => {
    expect(contract.components.parameters['Sku']?.schema.pattern).toBe(SKU_PATTERN);
    const channel = contract.paths['/webhooks/orders/{channel}']?.['post']?.parameters?.find((p) => p.name === 'channel');
    expect(channel?.schema?.pattern).toBe(CHANNEL_PATTERN);
  });

  describe('routes', () => {
    let service: InventoryService;
    let app: ReturnType<typeof buildHttpServer>;
    beforeAll(async () => {
      service = await InventoryService.create({ scenario: shippedScenario('flash-sale'), alerts: { raise: () => undefined } });
      app = buildHttpServer(service, { secrets: SECRETS });
      await app.ready();
    });
    afterAll(async () => {
      await app.close();
      await service.close();
    });

    it('every contract path is a service route, and every service route is in the contract', () => {
      const documented: string[] = [];
      for (const [path, methods] of Object.entries(contract.paths)) {
        for (const method of Object.keys(methods)) {
          documented.push(`${method.toUpperCase()} ${path}`);
          expect(app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `${method} ${path}`).toBe(true);
        }
      }
      expect(servedRoutes(app.printRoutes({ commonPrefix: false })).sort()).toEqual(documented.sort());
    });
  });
});
