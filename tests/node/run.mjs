// run.mjs: every SDK test module, in one process, so node's TAP reporter
// numbers them in one stream for automake's tap-driver:
//   node --test-reporter=tap run.mjs
// The stack under test is described by the environment (stack.sh):
// BASE_URL, KEY_A and KEY_B (keys of two workspaces), MOCK_URL.
import './models.test.mjs';
import './chat.test.mjs';
import './files.test.mjs';
