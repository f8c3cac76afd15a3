// Reading a report back: every element that carries `data-path` (a JSON pointer into FILE.json)
// and `data-value` (the value as JSON), with the text a person sees; and a JSON pointer resolver.
// The report's markup is our own and regular (double-quoted attributes, escaped text), so a small
// tokenizer over start tags is enough; it does not pretend to parse arbitrary HTML.

export interface Datum {
  readonly tag: string;
  readonly path: string;
  readonly value: unknown;
  readonly text: string;
  readonly attrs: Readonly<Record<string, string>>;
}

const ENTITIES: Readonly<Record<string, string>> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

export function unescapeHtml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e);
}

export function attributes(tagBody: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tagBody.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]!] = unescapeHtml(m[2]!);
  return out;
}

/** Every element with a data-path, in document order. */
export function data(html: string): Datum[] {
  const out: Datum[] = [];
  for (const m of html.matchAll(/<(\w+)\s([^>]*\bdata-path="[^"]*"[^>]*)>([^<]*)/g)) {
    const attrs = attributes(m[2]!);
    out.push({ tag: m[1]!, path: attrs['data-path']!, value: JSON.parse(attrs['data-value'] ?? 'undefined') as unknown, text: unescapeHtml(m[3]!), attrs });
  }
  return out;
}

/** RFC 6901. Throws on a pointer that leads nowhere, so a stale data-path fails the test. */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in (node as object))) throw new Error(`JSON pointer ${pointer} leads nowhere at "${key}"`);
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The ids of every chart (an <svg data-chart="…">) in a report. */
export function chartIds(html: string): string[] {
  return [...html.matchAll(/<svg\b[^>]*\bdata-chart="([^"]+)"/g)].map((m) => m[1]!);
}
