// The shared package compiles with `types: []` and lib ES2022 (it runs in
// browsers too), so the tests' few host APIs are declared here: reading a
// fixture file relative to the test module. Delete this file if @types/node
// is ever added to shared's devDependencies and tsconfig `types`.
declare module 'node:fs' {
  export function readFileSync(path: URL | string, encoding: 'utf8'): string;
}

interface ImportMeta {
  url: string;
}

declare class URL {
  constructor(url: string, base?: string | URL);
  readonly href: string;
  readonly pathname: string;
  toString(): string;
}

declare module 'node:url' {
  const URLClass: typeof URL;
  type URLClass = URL;
  export { URLClass as URL };
  export function fileURLToPath(url: URL | string): string;
}
