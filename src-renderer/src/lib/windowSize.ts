/**
 * Layout that follows the window width: media queries as refs, and the columns of a table.
 * Tables drop their less useful columns in a narrower window, so what is left (their actions
 * above all) fits without scrolling sideways. Naive's table takes its columns as a plain list, so
 * the list is recomputed from the window width, not hidden with CSS.
 */
import { computed, onBeforeUnmount, ref, type ComputedRef, type Ref } from 'vue'
import type { DataTableColumn } from 'naive-ui'

/** Whether a media query matches now, following the window as it changes. */
export function useMediaQuery(query: string): Ref<boolean> {
  const list = window.matchMedia(query)
  const matches = ref(list.matches)
  const onChange = (e: MediaQueryListEvent): void => {
    matches.value = e.matches
  }
  list.addEventListener('change', onChange)
  onBeforeUnmount(() => list.removeEventListener('change', onChange))
  return matches
}

/**
 * Window widths (px) from which a table shows all its columns, or the middle set. The content
 * area is the window less the navigation (208 px, 64 px once collapsed at 900 px) and 48 px of
 * padding: about 1,024 px of table at 1280 and 590 px at 700.
 */
export const TABLE_BREAKPOINTS = { full: 1280, medium: 1024 } as const

export type TableSize = 'full' | 'medium' | 'narrow'

export function useTableSize(): ComputedRef<TableSize> {
  const full = useMediaQuery(`(min-width: ${TABLE_BREAKPOINTS.full}px)`)
  const medium = useMediaQuery(`(min-width: ${TABLE_BREAKPOINTS.medium}px)`)
  return computed(() => (full.value ? 'full' : medium.value ? 'medium' : 'narrow'))
}

/** The columns without those whose key is hidden at this size. */
export function columnsFor<T>(columns: DataTableColumn<T>[], hidden: Record<TableSize, readonly string[]>, size: TableSize): DataTableColumn<T>[] {
  return columns.filter((c) => !('key' in c) || !hidden[size].includes(String(c.key)))
}

/** The width the columns need (naive's expand column is 40 px): the table scrolls below it. */
export function columnsWidth<T>(columns: DataTableColumn<T>[]): number {
  return columns.reduce((sum, c) => sum + Number(('width' in c && c.width) || ('minWidth' in c && c.minWidth) || 40), 0)
}
