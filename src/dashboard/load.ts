// Loads the live view (Ink, React and run.ts) the one way the CLI and the tests do.
import type { runDashboard } from './run.ts';

/**
 * Ink reads CI / CONTINUOUS_INTEGRATION once, when it loads, and then draws only the last frame. On
 * a terminal the user asked for the live view, so a CI variable in their shell must not blank it.
 * The variables are back as they were once the import is done.
 */
export async function loadDashboard(): Promise<typeof runDashboard> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  try {
    return (await import('./run.ts')).runDashboard;
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}
