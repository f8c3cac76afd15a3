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

  constructor(options: { skuPrefix: string; skus: number; channelIds: readonly string[]; partition: boolean }) {
    const { skus, channelIds, partition } = options;
    this.nSku = skus;
    this.nChannels = channelIds.length;
    this.partition = partition;
    const width = String(skus).length;
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
    const k = this.keyIndex.get(key);
    if (k === undefined) throw new Error(`unknown listing key ${key}`);
    return k;
  }

  /** Index of a key name, or undefined. */
  find(key: string): number | undefined {
    return this.keyIndex.get(key);
  }
}
