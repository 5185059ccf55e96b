/**
 * local/synth.ts keeps the synthesized template on disk between processes: what it hands the local
 * executor must be exactly what a fresh synthesis of the same sources gives.
 */
import { describe, expect, it, vi } from 'vitest';

describe('synthesized template cache', () => {
  it('the template from the cache equals a fresh synthesis of the same sources', { timeout: 120_000 }, async () => {
    const { synthesizeTemplate } = await import('../../local/synth');
    const fromCache = JSON.stringify(await synthesizeTemplate());
    vi.resetModules();
    process.env.ENV_MIGRATOR_SYNTH_CACHE = '0';
    try {
      const fresh = await import('../../local/synth');
      expect(JSON.stringify(await fresh.synthesizeTemplate())).toBe(fromCache);
    } finally {
      delete process.env.ENV_MIGRATOR_SYNTH_CACHE;
    }
  });
});
