// Kept for test/probe/session.test.ts (that folder is being reshaped elsewhere): the scripted
// upstream is one preset of the one fake upstream; new tests import test/support/fake-upstream/.
export { type ChatRequestBody, startScriptedUpstream } from './fake-upstream/index.js';
