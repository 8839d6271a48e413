// The template files moved to src/shell/templates.ts; this re-export keeps importers outside launch
// and init working (test/security). New code imports src/shell/ directly.
export { loadTemplates, TEMPLATE_FILES, type Templates, templatesDir } from '../shell/templates.js';
