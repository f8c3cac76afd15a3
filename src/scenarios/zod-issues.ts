/**
 * zod issues → scenario issues a person can act on. zod knows the rule; this module adds the
 * value found ("must be >= 0, got -5"), splits `unrecognized_keys` into one issue per key with
 * a "did you mean" against the keys that object allows, names a bad discriminator
 * (`unknown kind "poling"; did you mean "polling"?`) and picks, for a union such as
 * `{ percent } | { fixed }`, the branch the author most likely meant.
 *
 * The allowed keys and discriminator values come from walking the schema along the issue's path
 * (zod's `_zod.def`, the documented surface for tools built on zod), steered by the data so a
 * discriminated union resolves to the option the data names.
 */
import type { z } from 'zod';
import { describeValue, type PathIssue, type PathKey } from './issues.js';
import { closestMatch, didYouMean, listWords } from './suggest.js';

type ZodIssue = z.core.$ZodIssue;

/** The part of a zod schema definition this module reads. */
interface Def {
  readonly type: string;
  readonly shape?: Readonly<Record<string, Schema>>;
  readonly innerType?: Schema;
  readonly in?: Schema;
  readonly options?: readonly Schema[];
  readonly discriminator?: string;
  readonly valueType?: Schema;
  readonly element?: Schema;
  readonly values?: readonly unknown[];
}
interface Schema {
  readonly _zod: { readonly def: Def };
}

const asSchema = (schema: z.core.$ZodType): Schema => schema as unknown as Schema;

/** Wrappers that do not change which keys an object allows. */
function unwrap(schema: Schema): Schema {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if (def.innerType !== undefined) s = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) s = def.in;
    else return s;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The literal values a discriminated-union option has for its discriminator. */
function discriminatorValues(option: Schema, discriminator: string): unknown[] {
  const field = option._zod.def.shape?.[discriminator];
  return field === undefined ? [] : [...(unwrap(field)._zod.def.values ?? [])];
}

/** The options of a union the data can be meant for: the one its discriminator names, else all. */
function options(schema: Schema, value: unknown): Schema[] {
  const def = schema._zod.def;
  if (def.type !== 'union' || def.options === undefined) return [schema];
  const all = def.options.map(unwrap);
  const disc = def.discriminator;
  if (disc !== undefined && isObject(value)) {
    const chosen = all.filter((o) => discriminatorValues(o, disc).includes(value[disc]));
    if (chosen.length > 0) return chosen.flatMap((o) => options(o, value));
  }
  return all.flatMap((o) => options(o, value));
}

function child(schema: Schema, key: PathKey): Schema | undefined {
  const def = schema._zod.def;
  if (def.type === 'object') return def.shape?.[String(key)];
  if (def.type === 'record') return def.valueType;
  if (def.type === 'array' && typeof key === 'number') return def.element;
  return undefined;
}

function childValue(value: unknown, key: PathKey): unknown {
  if (Array.isArray(value) && typeof key === 'number') return value[key];
  return isObject(value) ? value[String(key)] : undefined;
}

interface Located {
  readonly schema: Schema;
  readonly value: unknown;
}

/** The schemas (unions unresolved) that apply at `path` in `data`. */
function schemasAt(root: Schema, data: unknown, path: readonly PathKey[]): Located[] {
  let current: Located[] = [{ schema: unwrap(root), value: data }];
  for (const key of path) {
    const next: Located[] = [];
    for (const { schema, value } of current) {
      for (const option of options(schema, value)) {
        const c = child(option, key);
        if (c !== undefined) next.push({ schema: unwrap(c), value: childValue(value, key) });
      }
    }
    current = next;
  }
  return current;
}

/** Keys the object(s) at `path` allow. */
function allowedKeys(root: Schema, data: unknown, path: readonly PathKey[]): string[] {
  const keys = new Set<string>();
  for (const { schema, value } of schemasAt(root, data, path)) {
    for (const option of options(schema, value)) for (const key of Object.keys(option._zod.def.shape ?? {})) keys.add(key);
  }
  return [...keys];
}

/** For a key the chosen option of a discriminated union lacks: the other options that have it. */
function optionsWithKey(root: Schema, data: unknown, path: readonly PathKey[], key: string): { discriminator: string; values: string[] } | undefined {
  for (const { schema } of schemasAt(root, data, path)) {
    const def = schema._zod.def;
    if (def.type !== 'union' || def.discriminator === undefined || def.options === undefined) continue;
    const disc = def.discriminator;
    const values = def.options
      .map(unwrap)
      .filter((o) => o._zod.def.shape?.[key] !== undefined)
      .flatMap((o) => discriminatorValues(o, disc).map(String));
    if (values.length > 0) return { discriminator: disc, values };
  }
  return undefined;
}

function valueAt(data: unknown, path: readonly PathKey[]): { found: boolean; value: unknown } {
  let value = data;
  for (const key of path) {
    if (Array.isArray(value) && typeof key === 'number' && key < value.length) value = value[key];
    else if (isObject(value) && Object.hasOwn(value, String(key))) value = value[String(key)];
    else return { found: false, value: undefined };
  }
  return { found: true, value };
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  literal: 'a fixed value',
  enum: 'one of a set of words',
};

const typeName = (expected: string): string => TYPE_NAMES[expected] ?? expected;

/** What the keys of a record name, by the record's own key. */
const KEY_NOUNS: Readonly<Record<string, string>> = {
  scenarios: 'scenario name',
  strategies: 'strategy name',
  allocation: 'channel id',
};

/** The noun for a word chosen from a set, from the key it sits under: `preset`, `kind`, `pitfall`. */
const nounFor = (path: readonly PathKey[]): string => {
  const last = path[path.length - 1];
  return typeof last === 'string' ? last : 'value';
};

/** The rule an issue breaks: zod's code, or for the schema's own checks (the run budget, a record's size) the one they name. */
export function ruleOf(issue: ZodIssue): string {
  const named = issue.code === 'custom' ? issue.params?.['code'] : undefined;
  return typeof named === 'string' ? named : issue.code;
}

/** Translates zod's issues for `data` (validated against `schema`) into path issues. */
export function translateZodIssues(issues: readonly ZodIssue[], schema: z.core.$ZodType, data: unknown): PathIssue[] {
  const ctx: Context = { root: asSchema(schema), data };
  const translated = issues.flatMap((issue) => translate(issue, [], ctx));
  // `intervalSec` for `intervalS` is one mistake, not two: the "did you mean" stands in for the
  // "missing required key" zod also reports.
  const suggested = new Set(translated.flatMap((i) => (i.suggests === undefined ? [] : [pathId(i.suggests)])));
  return translated
    .filter((i) => !(i.code === 'missing_key' && suggested.has(pathId(i.path))))
    .map(({ path, code, message }) => ({ path, code, message }));
}

/** A translated issue; an unknown key with a close match names the key it stands for. */
interface Translated extends PathIssue {
  readonly suggests?: readonly PathKey[];
}

const pathId = (path: readonly PathKey[]): string => JSON.stringify(path);

interface Context {
  readonly root: Schema;
  readonly data: unknown;
}

function pathOf(issue: ZodIssue, prefix: readonly PathKey[]): PathKey[] {
  return [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
}

function translate(issue: ZodIssue, prefix: readonly PathKey[], ctx: Context): Translated[] {
  const path = pathOf(issue, prefix);
  const { found, value } = valueAt(ctx.data, path);
  const got = describeValue(value);
  switch (issue.code) {
    case 'invalid_type':
      return [invalidType(issue.expected, path, found, value)];
    case 'too_small':
      return [{ path, code: issue.code, message: tooSmall(issue, value) }];
    case 'too_big':
      return [{ path, code: issue.code, message: tooBig(issue, value) }];
    case 'invalid_format': {
      const rule = issue.message.startsWith('Invalid') && issue.pattern !== undefined ? `must match ${issue.pattern}` : issue.message;
      return [{ path, code: issue.code, message: `${rule}, got ${got}` }];
    }
    case 'not_multiple_of':
      return [{ path, code: issue.code, message: `must be a multiple of ${issue.divisor}, got ${got}` }];
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownKey(path, key, ctx));
    case 'invalid_value':
      return [invalidValue(issue.values, path, value)];
    case 'invalid_union':
      return invalidUnion(issue, path, ctx);
    case 'invalid_key': {
      // The nested issues are about the key itself; their messages state the rule.
      const reason = issue.issues.map((i) => i.message).join('; ');
      const noun = KEY_NOUNS[String(path[path.length - 2])] ?? 'key';
      return [{ path, code: issue.code, message: `invalid ${noun} ${describeValue(path[path.length - 1])}: ${reason}` }];
    }
    case 'custom':
      return [{ path, code: ruleOf(issue), message: issue.message }];
    default:
      return [{ path, code: issue.code, message: issue.message }];
  }
}

const SCENARIOS_MAPPING = 'a mapping of scenario names to scenarios';
const isScenariosKey = (path: readonly PathKey[]): boolean => path.length === 1 && path[0] === 'scenarios';

function invalidType(expected: string, path: PathKey[], found: boolean, value: unknown): PathIssue {
  const key = path[path.length - 1];
  if (!found && path.length > 0) {
    const what = isScenariosKey(path) ? SCENARIOS_MAPPING : typeName(expected);
    return { path, code: 'missing_key', message: `missing required key ${JSON.stringify(String(key))} (${what})` };
  }
  if (path.length === 0) {
    return { path, code: 'invalid_type', message: `the file must be a mapping with a "scenarios" key, got ${describeValue(value)}` };
  }
  if (typeof value === 'number' && (expected === 'number' || expected === 'int')) {
    const rule = Number.isFinite(value) ? 'must be an integer' : 'must be a finite number';
    return { path, code: 'invalid_type', message: `${rule}, got ${value}` };
  }
  if (isScenariosKey(path)) return { path, code: 'invalid_type', message: `expected ${SCENARIOS_MAPPING}, got ${describeValue(value)}` };
  const numeric = (expected === 'number' || expected === 'int') && typeof value === 'string' && /^\s*-?\d/.test(value);
  const hint = numeric ? '; write a plain number: the unit is in the key name' : '';
  const got = typeof value === 'string' ? `the string ${describeValue(value)}` : describeValue(value);
  return { path, code: 'invalid_type', message: `expected ${typeName(expected)}, got ${got}${hint}` };
}

function bound(n: number | bigint): string {
  return String(n);
}

function tooSmall(issue: z.core.$ZodIssueTooSmall, value: unknown): string {
  const min = bound(issue.minimum);
  if (issue.origin === 'array') {
    const n = Array.isArray(value) ? value.length : 0;
    if (issue.exact === true) return `must have exactly ${min} items, got ${n}`;
    return `must have at least ${min} item${min === '1' ? '' : 's'}, got ${n}`;
  }
  if (issue.origin === 'string') {
    return min === '1' ? 'must not be empty' : `must be at least ${min} characters long, got ${describeValue(value)}`;
  }
  return `must be ${issue.inclusive === false ? '>' : '>='} ${min}, got ${describeValue(value)}`;
}

function tooBig(issue: z.core.$ZodIssueTooBig, value: unknown): string {
  const max = bound(issue.maximum);
  if (issue.origin === 'array') {
    const n = Array.isArray(value) ? value.length : 0;
    if (issue.exact === true) return `must have exactly ${max} items, got ${n}`;
    return `must have at most ${max} items, got ${n}`;
  }
  if (issue.origin === 'string') return `must be at most ${max} characters long`;
  return `must be ${issue.inclusive === false ? '<' : '<='} ${max}, got ${describeValue(value)}`;
}

function invalidValue(values: readonly unknown[], path: PathKey[], value: unknown): PathIssue {
  if (values.length === 1) {
    return { path, code: 'invalid_value', message: `must be ${JSON.stringify(values[0])}, got ${describeValue(value)}` };
  }
  const words = values.map(String);
  const allowed = `; expected one of ${listWords(words)}`;
  const hint = typeof value === 'string' ? didYouMean(value, words, allowed) : allowed;
  return { path, code: 'invalid_value', message: `unknown ${nounFor(path)} ${describeValue(value)}${hint}` };
}

function unknownKey(objectPath: PathKey[], key: string, ctx: Context): Translated {
  const path = [...objectPath, key];
  const code = 'unrecognized_keys';
  const elsewhere = optionsWithKey(ctx.root, ctx.data, objectPath, key);
  if (elsewhere !== undefined) {
    const owners = elsewhere.values.map((v) => JSON.stringify(v)).join(' or ');
    return { path, code, message: `unknown key ${JSON.stringify(key)} here: it belongs to ${elsewhere.discriminator} ${owners}` };
  }
  const allowed = allowedKeys(ctx.root, ctx.data, objectPath);
  const container = valueAt(ctx.data, objectPath).value;
  const present = new Set(isObject(container) ? Object.keys(container) : []);
  const match = closestMatch(key, allowed.filter((k) => !present.has(k)));
  if (match === undefined) return { path, code, message: `unknown key ${JSON.stringify(key)}; allowed keys: ${listWords(allowed)}` };
  return { path, code, message: `unknown key ${JSON.stringify(key)}; did you mean ${JSON.stringify(match)}?`, suggests: [...objectPath, match] };
}

function invalidUnion(issue: z.core.$ZodIssueInvalidUnion, path: PathKey[], ctx: Context): Translated[] {
  if (issue.discriminator !== undefined) return [badDiscriminator(issue.discriminator, path, ctx)];
  // Branches whose root type did not even match are not what the author meant.
  const viable = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
  if (viable.length === 0) {
    const expected = issue.errors.flatMap((b) => b.filter((i) => i.code === 'invalid_type').map((i) => typeName(i.expected)));
    const { value } = valueAt(ctx.data, path);
    return [{ path, code: 'invalid_type', message: `expected ${[...new Set(expected)].join(' or ')}, got ${describeValue(value)}` }];
  }
  const fewest = Math.min(...viable.map((b) => b.length));
  const best = viable.filter((b) => b.length === fewest);
  if (best.length === 1) return best[0]!.flatMap((i) => translate(i, path, ctx));
  // A tie, as with `{ percnt: 5 }` against `{ percent } | { fixed }`: report the unknown keys
  // every branch rejects (checked against all branches' keys), else the shapes that would do.
  const unknown = best
    .map((b) => new Set(b.flatMap((i) => (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys : []))))
    .reduce((a, b) => new Set([...a].filter((k) => b.has(k))));
  if (unknown.size > 0) return [...unknown].map((key) => unknownKey(path, key, ctx));
  const shapes = schemasAt(ctx.root, ctx.data, path)
    .flatMap(({ schema, value }) => options(schema, value))
    .map((o) => `{ ${Object.keys(o._zod.def.shape ?? {}).join(', ')} }`);
  return [{ path, code: 'invalid_union', message: `expected exactly one of ${shapes.join(' or ')}` }];
}

function badDiscriminator(discriminator: string, path: PathKey[], ctx: Context): PathIssue {
  // zod puts the discriminator key at the end of the path.
  const unionPath = path[path.length - 1] === discriminator ? path.slice(0, -1) : path;
  const keyPath = [...unionPath, discriminator];
  const values = schemasAt(ctx.root, ctx.data, unionPath)
    .flatMap(({ schema }) => schema._zod.def.options ?? [])
    .flatMap((o) => discriminatorValues(unwrap(o), discriminator).map(String));
  const { found, value } = valueAt(ctx.data, keyPath);
  if (!found) {
    const container = valueAt(ctx.data, unionPath).value;
    if (!isObject(container)) {
      return { path: unionPath, code: 'invalid_type', message: `expected a mapping with a ${JSON.stringify(discriminator)} key, got ${describeValue(container)}` };
    }
    return { path: keyPath, code: 'missing_key', message: `missing required key ${JSON.stringify(discriminator)} (one of ${listWords(values)})` };
  }
  const allowed = `; expected one of ${listWords(values)}`;
  const hint = typeof value === 'string' ? didYouMean(value, values, allowed) : allowed;
  return { path: keyPath, code: 'invalid_value', message: `unknown ${discriminator} ${describeValue(value)}${hint}` };
}
