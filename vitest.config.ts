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
    // On CI a test gets a second run before it counts as failed: integration tests start real
    // processes on a 2-core machine, and one rare startup failure under load must not void a
    // submission. A test that fails twice still fails; the reporter lists those that needed it.
    retry: process.env.CI ? 1 : 0,
    reporters: ['default', './test/helpers/summaryReporter.ts']
  }
})
