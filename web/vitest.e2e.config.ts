import { defineConfig } from 'vitest/config'

// Browser tests: the real binary's demo (started once, in setup.ts) in real headless Chromium.
export default defineConfig({
  test: {
    include: ['e2e/**/*.spec.ts'],
    globalSetup: ['e2e/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // One browser at a time: the machine has two cores, and the journey changes shared state.
    fileParallelism: false,
  },
})
