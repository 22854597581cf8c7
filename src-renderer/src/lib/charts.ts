/** ECharts with only the modules the π page uses, so the bundle carries nothing else. */
import { BarChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts'
import { DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components'
import { use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'

use([CanvasRenderer, ScatterChart, LineChart, BarChart, CustomChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, DataZoomComponent])

export type { EChartsCoreOption as ChartOption } from 'echarts/core'

/** Colours that read on both themes (the OS decides light or dark). */
export const CHART_COLORS = {
  inside: '#2f9e6e',
  outside: '#e0813a',
  estimate: '#4c7bd9',
  band: 'rgba(76, 123, 217, 0.22)',
  pi: '#b04fc4',
  hits: '#4c7bd9',
  busy: '#e0813a',
  pitfall: '#d9484c',
  ideal: '#8a8f98',
}

/** Fields every chart option shares: a transparent background so the card's colour shows. */
export const baseOption = {
  backgroundColor: 'transparent',
  animation: false,
  textStyle: { fontFamily: 'inherit' },
}
