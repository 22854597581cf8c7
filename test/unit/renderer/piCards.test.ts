// @vitest-environment happy-dom
import { mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Component } from 'vue'
import type { ChunkRecord, PiResult } from '../../../src-main/service/api'
import ChartCard from '../../../src-renderer/src/components/pi/ChartCard.vue'
import ConvergenceChart from '../../../src-renderer/src/components/pi/ConvergenceChart.vue'
import PiResultCard from '../../../src-renderer/src/components/pi/PiResultCard.vue'
import RunHistory from '../../../src-renderer/src/components/pi/RunHistory.vue'
import SpeedupChart from '../../../src-renderer/src/components/pi/SpeedupChart.vue'
import { CHART_COLORS } from '../../../src-renderer/src/lib/charts'
import { MODE_NAMES } from '../../../src-renderer/src/lib/pi'
import { runRecord } from './fakeClient'

const setWidth = (width: number) => (window as unknown as { happyDOM: { setViewport(v: { width: number }): void } }).happyDOM.setViewport({ width })

beforeEach(() => {
  document.body.innerHTML = ''
  setWidth(1280)
})

const chunk = (index: number, hits: number, samples = 250): ChunkRecord => ({ index, engineId: index % 2, samples, hits, started: 1_000 + index, completed: 1_010 + index })

const result = (engines: number, speedup: number): PiResult =>
  ({ pi: 3.14, stdError: 0.01, samples: 1000, tasks: 4, engines, wallMs: 10, samplesPerSec: 1e5, speedup, efficiency: speedup / engines, perEngine: [] }) as unknown as PiResult

/** The option a chart hands to its card (ECharts itself needs a canvas). */
function optionOf(component: Component, props: Record<string, unknown>): Record<string, any> {
  const wrapper = mount(component, { props, global: { stubs: { ChartCard: true } } })
  return wrapper.findComponent(ChartCard).props('option') as Record<string, any>
}

describe('the result card of a run that did not finish', () => {
  it('shows the tasks and samples done before the cancel, and their estimate marked partial', () => {
    const run = runRecord('r1', { status: 'cancelled', finishedAt: 2_000, chunks: [chunk(0, 200), chunk(1, 190), { ...chunk(2, 392, 500), count: 2 }] })
    run.request = { ...run.request, samples: 2000, tasks: 8 }
    const wrapper = mount(PiResultCard, { props: { run } })
    expect(wrapper.text()).toContain('4 of 8 tasks were done')
    const partial = wrapper.get('[data-testid="pi-partial"]')
    expect(partial.text()).toContain('Partial estimate of π, before the cancel')
    expect(partial.text()).toMatch(/1,000\s*of 2,000/)
    // 4 × 782 / 1000
    expect(wrapper.get('[data-testid="pi-partial-estimate"]').text()).toMatch(/^3\.12/)
    expect(wrapper.find('[data-testid="pi-estimate"]').exists()).toBe(false)
  })

  it('says nothing was done when the cancel came before any task', () => {
    const wrapper = mount(PiResultCard, { props: { run: runRecord('r1', { status: 'cancelled' }) } })
    expect(wrapper.text()).toContain('0 of 4 tasks were done')
    expect(wrapper.find('[data-testid="pi-partial"]').exists()).toBe(false)
  })
})

describe('the run history', () => {
  const runs = [runRecord('r1', { status: 'done', result: result(2, 1.8) })]
  const headers = (w: ReturnType<typeof mount>) => w.findAll('th').map((th) => th.text())

  it('keeps its key columns and Delete in view in a narrow window', () => {
    setWidth(700)
    const wrapper = mount(RunHistory, { props: { runs, selectedId: null }, attachTo: document.body })
    expect(headers(wrapper)).toEqual(['Started', 'Mode', 'π', 'Speedup', 'Status', ''])
    expect(wrapper.get('[data-testid="pi-history-row"] td:last-child').classes()).toContain('n-data-table-td--fixed-right')
  })

  it('shows every column in a desktop window', () => {
    const wrapper = mount(RunHistory, { props: { runs, selectedId: null }, attachTo: document.body })
    expect(headers(wrapper)).toEqual(['Started', 'Mode', 'Samples', 'Tasks', 'Engines', 'π', 'Wall', 'Speedup', 'Efficiency', 'Status', ''])
  })
})

describe('chart legends', () => {
  it('speedup: wraps rather than pages, so every mode is named', () => {
    const runs = MODE_NAMES.map((mode, i) => runRecord(`r${i}`, { status: 'done', request: { ...runRecord('x').request, mode }, result: result(2, 1 + i / 10) }))
    const legend = optionOf(SpeedupChart, { runs }).legend
    expect(legend.type).toBe('plain')
  })

  it("convergence: the ±σ entry is a swatch of the band's colour", () => {
    const run = runRecord('r1', { chunks: [chunk(0, 200), chunk(1, 190), chunk(2, 195)] })
    const legend = optionOf(ConvergenceChart, { run }).legend
    const band = legend.data.find((d: string | { name: string }) => typeof d === 'object' && d.name === '±σ')
    expect(band).toMatchObject({ icon: 'rect', itemStyle: { color: CHART_COLORS.band } })
  })
})
