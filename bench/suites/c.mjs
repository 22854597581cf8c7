// The C references of the π kernels (bench/c/pi.c), on as many processes at once as clusterdesk
// has engines and wall clock, like clusterdesk's π figures: `scalar` gives seeded's hits, the
// 16 vectorised streams give simd's.
import { compilePi, piCWallRate } from '../cPi.mjs'

const THREADS = 2

export const cReference = {
  name: 'C',
  compiled: undefined,
  async setup() {
    this.compiled = compilePi()
    return this.compiled.error
  },
  figures() {
    const common = { unit: 'M/s', better: 'higher', goals: [], compare: [] }
    return [
      { id: 'piSeeded.c', group: 'piSeeded', who: `C scalar, ${THREADS} processes`, ...common },
      { id: 'piSimd.c', group: 'piSimd', who: `C 16 streams, ${THREADS} processes`, ...common },
    ]
  },
  async repetition({ sizes }) {
    const { binary } = this.compiled
    return {
      'piSeeded.c': await piCWallRate(binary, 'scalar', sizes.piSamples, THREADS),
      'piSimd.c': await piCWallRate(binary, 'streams16', sizes.piSamples, THREADS),
    }
  },
  async teardown() {
    this.compiled?.remove?.()
  },
}
