import { afterAll } from 'vitest';
import { runCleanups } from '../helpers/cleanup.js';

// Runs after each test file's own afterAll hooks: whatever a helper started and the file did not stop (a registry, a
// gpg-agent, a tmux server, a ferry child) is stopped here, so nothing outlives the file that started it.
afterAll(runCleanups);
