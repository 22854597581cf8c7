import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Renderer component tests (test/unit/renderer) mount .vue files.
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Integration tests start real engine processes and a real sshd.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Engines are child processes that tests kill and signal; separate
    // processes keep one test file's children and handlers from another's.
    pool: 'forks',
    globalSetup: ['test/helpers/globalSetup.ts'],
    reporters: ['default', './test/helpers/summaryReporter.ts']
  }
})
