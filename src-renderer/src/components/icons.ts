/** The app's icons (navigation, steppers): small stroked SVGs, drawn by render functions (no icon font, CSP-safe). */
import { NIcon } from 'naive-ui'
import { h, type VNode } from 'vue'

const svg = (...children: VNode[]): VNode =>
  h('svg', { viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }, children)

const path = (d: string): VNode => h('path', { d })

const shapes = {
  nodes: () => svg(h('rect', { x: 3, y: 4, width: 18, height: 6, rx: 1 }), h('rect', { x: 3, y: 14, width: 18, height: 6, rx: 1 }), path('M7 7h.01M7 17h.01')),
  engines: () =>
    svg(h('rect', { x: 6, y: 6, width: 12, height: 12, rx: 1 }), path('M9 2v4M15 2v4M9 18v4M15 18v4M2 9h4M2 15h4M18 9h4M18 15h4')),
  pi: () => svg(path('M4 7h16M9 7v12M15 7v9.5c0 1.5.8 2.5 2.5 2.5')),
  exceptions: () => svg(path('M12 3 2 20h20L12 3z'), path('M12 10v4M12 17h.01')),
  console: () => svg(h('rect', { x: 3, y: 4, width: 18, height: 16, rx: 2 }), path('M7 9l3 3-3 3M13 15h4')),
  cluster: () => svg(h('circle', { cx: 12, cy: 5, r: 2 }), h('circle', { cx: 5, cy: 19, r: 2 }), h('circle', { cx: 19, cy: 19, r: 2 }), path('M12 7v5M12 12l-6 5M12 12l6 5')),
  minus: () => svg(path('M5 12h14')),
  plus: () => svg(path('M12 5v14M5 12h14')),
}

export type IconName = keyof typeof shapes

export const renderIcon = (name: IconName) => (): VNode => h(NIcon, null, { default: shapes[name] })
