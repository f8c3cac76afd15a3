// The package ships no types. The part test/architecture.test.ts uses: madge(path, config) reads
// every file under path and resolves its imports; the instance answers with the graph (file →
// files it imports, paths relative to the base directory), its cycles, and the imports it could
// not resolve (`skipped`, as written in the source).
declare module 'madge' {
  export interface MadgeConfig {
    readonly baseDir?: string;
    readonly fileExtensions?: readonly string[];
    readonly tsConfig?: string | object;
    readonly detectiveOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  }

  export interface MadgeInstance {
    obj(): Record<string, string[]>;
    circular(): string[][];
    warnings(): { skipped: string[] };
  }

  export default function madge(path: string | readonly string[], config?: MadgeConfig): Promise<MadgeInstance>;
}
