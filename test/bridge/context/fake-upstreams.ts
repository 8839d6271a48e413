// Kept for test/checks/upstream.test.ts (that folder is being reshaped elsewhere): the server-kind
// bodies live with the one fake upstream, test/support/fake-upstream/kinds.ts.
export { SGLANG_MODEL_INFO, SGLANG_MODELS } from '../../support/fake-upstream/index.js';
