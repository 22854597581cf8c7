/** Attributes for the native <input>/<textarea> inside a naive input, where end-to-end tests type. */
import type { InputHTMLAttributes } from 'vue'

// Vue's attribute types don't list data-* keys, though the DOM takes them.
export const inputAttrs = (testid: string, extra: InputHTMLAttributes = {}): InputHTMLAttributes => ({ ...extra, ['data-testid' as string]: testid })
