// `{{name}}` substitution for the files in templates/. A placeholder without a value is a bug in dsb,
// so it throws rather than writing a half-rendered file.

export function renderTemplate(
  template: string,
  vars: Record<string, string>,
  escapeValue: (value: string) => string = (v) => v,
): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    return escapeValue(value);
  });
}

/** Escapes a value for use inside a JSON string literal. */
export const jsonStringEscape = (value: string): string => JSON.stringify(value).slice(1, -1);
