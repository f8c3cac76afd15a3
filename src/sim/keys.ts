/** '0': SKU names end in their number, read digit by digit. */
const CHAR_0 = 48;

/**
 * The key space of a run: SKU names, and the source-of-truth keys the store holds. A key is a
 * SKU, or with partitioned stock one pool per (channel, SKU), named `SKU@channel`. Everything
 * else in the simulator addresses keys by index: `k = c * nSku + i` with pools, `k = i` without.
 */
export class KeySpace {
  readonly nSku: number;
  readonly nChannels: number;
  readonly partition: boolean;
  readonly skuNames: readonly string[];
  readonly keyNames: readonly string[];
  /** SKU index of key k. */
  readonly keySku: Int32Array;
  /** Channel index of key k's pool; -1 when the key is shared by every channel. */
  readonly keyChannel: Int32Array;
  private readonly keyIndex = new Map<string, number>();
  private readonly skuPrefix: string;
  /** The length of every SKU name: the prefix, then the SKU's number, zero-padded. */
  private readonly skuNameLength: number;

  constructor(options: { skuPrefix: string; skus: number; channelIds: readonly string[]; partition: boolean }) {
    const { skus, channelIds, partition } = options;
    this.nSku = skus;
    this.nChannels = channelIds.length;
    this.partition = partition;
    const width = String(skus).length;
    this.skuPrefix = options.skuPrefix;
    this.skuNameLength = options.skuPrefix.length + width;
    this.skuNames = Array.from({ length: skus }, (_, i) => `${options.skuPrefix}${String(i + 1).padStart(width, '0')}`);
    const nKeys = partition ? this.nChannels * skus : skus;
    const names: string[] = [];
    this.keySku = new Int32Array(nKeys);
    this.keyChannel = new Int32Array(nKeys).fill(-1);
    for (let k = 0; k < nKeys; k++) {
      const i = k % skus;
      const c = partition ? Math.floor(k / skus) : -1;
      const name = c < 0 ? this.skuNames[i]! : `${this.skuNames[i]!}@${channelIds[c]!}`;
      names.push(name);
      this.keyIndex.set(name, k);
      this.keySku[k] = i;
      this.keyChannel[k] = c;
    }
    this.keyNames = names;
  }

  get size(): number {
    return this.keyNames.length;
  }

  /** The key channel c sells SKU i from. */
  keyOf(c: number, i: number): number {
    return this.partition ? c * this.nSku + i : i;
  }

  /** Pools per SKU: one per channel with partitioned stock, else one. */
  get poolsPerSku(): number {
    return this.partition ? this.nChannels : 1;
  }

  /** Index of a key name; throws on a name the run never made (a bug in whoever sent it). */
  indexOf(key: string): number {
    const k = this.find(key);
    if (k === undefined) throw new Error(`unknown listing key ${key}`);
    return k;
  }

  /**
   * Index of a key name, or undefined. Called for every update a channel receives, so a SKU's
   * own key (stock not partitioned) is read from the digits of its name and checked against the
   * name, which touches the name and one slot of `keyNames`, where hashing into a map of every
   * key costs a cache miss or two in a large catalogue. Any other name goes to the map.
   */
  find(key: string): number | undefined {
    const i = this.partition ? -1 : this.skuNumberOf(key) - 1;
    return i >= 0 && i < this.nSku && this.keyNames[i] === key ? i : this.keyIndex.get(key);
  }

  /** The number a SKU name ends in, or -1 when the name is not the prefix and `width` digits. */
  private skuNumberOf(key: string): number {
    if (key.length !== this.skuNameLength || !key.startsWith(this.skuPrefix)) return -1;
    let n = 0;
    for (let at = this.skuPrefix.length; at < key.length; at++) {
      const digit = key.charCodeAt(at) - CHAR_0;
      if (digit < 0 || digit > 9) return -1;
      n = n * 10 + digit;
    }
    return n;
  }
}
