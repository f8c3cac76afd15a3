/**
 * The few HTML primitives the report builders share: escaping, attributes, and cells that carry
 * their number twice, once formatted for people and once exact for machines (`data-value` plus
 * `data-path`, a JSON pointer into the report's JSON file), so a test can hold the page to the
 * JSON beside it.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and double-quoted attribute values alike. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export type AttrValue = string | number | boolean | null | undefined;

/** ` a="1" b="x"`; false, null and undefined are left out, true is written bare. */
export function attrs(values: Readonly<Record<string, AttrValue>>): string {
  let out = '';
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === false) continue;
    out += value === true ? ` ${name}` : ` ${name}="${esc(value)}"`;
  }
  return out;
}

/** An element with already-escaped inner HTML. */
export function el(tag: string, attributes: Readonly<Record<string, AttrValue>>, inner: string): string {
  return `<${tag}${attrs(attributes)}>${inner}</${tag}>`;
}

/** RFC 6901 JSON pointer from path segments. */
export function pointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/**
 * A value shown to people (`text`) that also carries its exact value as JSON (`data-value`) and
 * where it lives in the report's JSON file (`data-path`, a JSON pointer).
 */
export function datum(tag: string, options: { text: string; value: number | string | boolean | null; path: string; extra?: Readonly<Record<string, AttrValue>>; className?: string }): string {
  // A value with no data reads as words ("no propagation"): those may wrap where numbers may not.
  const given = options.className?.split(' ') ?? [];
  const className = options.value === null && !given.includes('no-data') ? [...given, 'no-data'].join(' ') : options.className;
  return el(tag, { class: className, 'data-path': options.path, 'data-value': JSON.stringify(options.value), ...options.extra }, esc(options.text));
}

/** A plain table from escaped cells: `head` is a row of header HTML, `rows` rows of cell HTML (each a full <th>/<td>). */
export function table(options: { caption?: string; head: readonly string[]; rows: readonly string[]; className?: string }): string {
  const caption = options.caption === undefined ? '' : `<caption>${esc(options.caption)}</caption>`;
  const head = `<thead><tr>${options.head.join('')}</tr></thead>`;
  return `<div class="table-wrap"><table${attrs({ class: options.className })}>${caption}${head}<tbody>${options.rows.map((r) => `<tr>${r}</tr>`).join('')}</tbody></table></div>`;
}

export function th(text: string, scope: 'col' | 'row' = 'col'): string {
  return `<th scope="${scope}">${esc(text)}</th>`;
}
