// Types for bin/node-runtime.js (plain JS so that any old Node can parse it).
export declare const MIN_NODE_MAJOR: number;
export declare const NODE_REEXEC_MARKER: string;
export type NodeRuntimePlan =
  | { action: 'run' }
  | { action: 'reexec'; file: string }
  | { action: 'fail'; message: string };
export declare function planNodeRuntime(input: {
  version: string;
  execPath: string;
  platform: string;
  env: Record<string, string | undefined>;
  root: string;
  exists: (file: string) => boolean;
}): NodeRuntimePlan;
export declare function ensureNodeRuntime(root: string): Promise<void>;
