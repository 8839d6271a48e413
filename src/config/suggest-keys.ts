// "did you mean" for config keys: the keys a schema object allows at an issue's path, found by
// walking the zod schema (objects, defaults, optionals, arrays, records, unions).
import type { z } from 'zod';
import { closest } from '../cli/suggest.js';

type AnyDef = { type: string; innerType?: Schema; element?: Schema; valueType?: Schema; options?: Schema[] };
type Schema = { def: AnyDef; shape?: Record<string, Schema> };

/** Unwraps default / optional / nullable / pipe wrappers down to the schema that holds the value. */
function unwrap(schema: Schema): Schema {
  let s = schema;
  while (s.def.innerType && ['default', 'optional', 'nullable', 'prefault', 'catch'].includes(s.def.type))
    s = s.def.innerType;
  return s;
}

/** Every object schema that may sit at `path` (several through unions). */
export function objectsAt(root: z.ZodType, path: ReadonlyArray<PropertyKey>): Schema[] {
  let current: Schema[] = [unwrap(root as unknown as Schema)];
  for (const key of path) {
    const next: Schema[] = [];
    for (const s of current.flatMap(expandUnion)) {
      if (s.def.type === 'object' && typeof key === 'string' && s.shape?.[key])
        next.push(unwrap(s.shape[key]));
      else if (s.def.type === 'array' && typeof key === 'number' && s.def.element)
        next.push(unwrap(s.def.element));
      else if (s.def.type === 'record' && s.def.valueType) next.push(unwrap(s.def.valueType));
    }
    current = next;
  }
  return current.flatMap(expandUnion).filter((s) => s.def.type === 'object');
}

const expandUnion = (s: Schema): Schema[] =>
  s.def.type === 'union' && s.def.options ? s.def.options.map(unwrap).flatMap(expandUnion) : [s];

/** For an `unrecognized_keys` issue: `prot` → `port`, from the keys the object at its path allows. */
export function suggestKey(
  root: z.ZodType,
  path: ReadonlyArray<PropertyKey>,
  key: string,
): string | undefined {
  const keys = objectsAt(root, path).flatMap((s) => Object.keys(s.shape ?? {}));
  return closest(key, keys);
}
