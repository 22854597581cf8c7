/**
 * Rewrites `execute` code that uses top-level `await` so it behaves like a script of the engine's
 * global scope, as Node's REPL does (lib/internal/repl/await.js): the code runs as the body of an
 * async arrow, so its top-level declarations would otherwise be local to that arrow.
 *
 * - `var`/`let`/`const`/`class` names are declared by a separate `hoisted` script (run first, in
 *   the same global scope), so they become global bindings exactly like a plain script's; `const`
 *   becomes `let`, as in Node's REPL, because the value is only known after an await. In the
 *   body the declarations become assignments. `var` is hoisted from nested blocks too (it is
 *   function-scoped), never from inside functions or classes.
 * - Top-level function declarations move into `hoisted` as they are: nothing but globals is left in
 *   the arrow's scope, so they close over the same names, and are declared before any code runs.
 * - The last top-level expression statement is returned: the arrow's promise resolves to the
 *   value a script would have completed with.
 *
 * Every edit stays on the line it replaces, and moved functions keep their line and column, so
 * tracebacks point at the user's lines.
 */
import { parse } from 'acorn'
import type { ClassDeclaration, ForStatement, FunctionDeclaration, Node, Pattern, Program, VariableDeclaration } from 'acorn'

export interface TopLevelAwaitCode {
  /** The top-level function declarations, to run as a script first; empty when there are none. */
  hoisted: string
  /**
   * Names to declare first as global `let` / `var`, unless an earlier execute declared them
   * already (running the same code twice must not fail with "already declared").
   */
  lets: string[]
  vars: string[]
  /** The async arrow, called: a script whose value is the promise of the code's end. */
  body: string
  /** `columnOffset` for `body`, so columns on its first line match the user's. */
  columnOffset: number
}

const PREFIX = '(async () => {'
const SUFFIX = '\n})()'

interface Edit {
  start: number
  end: number
  text: string
}

/**
 * Transforms code with top-level `await`. Throws acorn's `SyntaxError` for code that does not
 * parse (top-level `return` included); callers report the engine's own error instead.
 */
export function transformTopLevelAwait(code: string): TopLevelAwaitCode {
  const program = parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowAwaitOutsideFunction: true, locations: true })
  const rewriter = new Rewriter(code)
  for (const statement of program.body) rewriter.topLevel(statement)
  rewriter.returnLast(program)
  return { ...rewriter.hoisted(isStrict(program)), body: PREFIX + rewriter.body() + SUFFIX, columnOffset: -PREFIX.length }
}

class Rewriter {
  private readonly edits: Edit[] = []
  private readonly lets: string[] = []
  private readonly vars = new Set<string>()
  private readonly functions: FunctionDeclaration[] = []

  constructor(private readonly code: string) {}

  topLevel(node: Node): void {
    switch (node.type) {
      case 'VariableDeclaration':
        return this.declaration(node as VariableDeclaration, true)
      case 'FunctionDeclaration': {
        this.functions.push(node as FunctionDeclaration)
        // A `;` where it stood: the code before it must not run on into the code after it.
        this.edits.push({ start: node.start, end: node.end, text: ';' + blank(this.code.slice(node.start + 1, node.end)) })
        return
      }
      case 'ClassDeclaration': {
        const name = (node as ClassDeclaration).id.name
        this.lets.push(name)
        this.edits.push({ start: node.start, end: node.start, text: `${name}=` }, { start: node.end, end: node.end, text: ';' })
        return
      }
      default:
        return this.nested(node)
    }
  }

  /** The last expression statement, unless code other than function declarations follows it. */
  returnLast(program: Program): void {
    for (let i = program.body.length - 1; i >= 0; i--) {
      const statement = program.body[i]
      if (statement.type === 'FunctionDeclaration' || statement.type === 'EmptyStatement') continue
      if (statement.type === 'ExpressionStatement') {
        // From the statement's start: the expression's own range leaves out its parentheses.
        const start = statement.start
        const end = this.code[statement.end - 1] === ';' ? statement.end - 1 : statement.end
        this.edits.push({ start, end: start, text: 'return (' }, { start: end, end, text: ')' })
      }
      return
    }
  }

  hoisted(strict: boolean): { hoisted: string; lets: string[]; vars: string[] } {
    let out = strict ? "'use strict';" : ''
    let line = 1
    let column = out.length
    for (const fn of this.functions) {
      const at = fn.loc!.start
      if (line < at.line) {
        out += '\n'.repeat(at.line - line)
        line = at.line
        column = 0
      }
      out += ' '.repeat(Math.max(0, at.column - column))
      const text = this.code.slice(fn.start, fn.end)
      out += text
      const lines = text.split(/\r\n|[\n\r\u2028\u2029]/)
      line += lines.length - 1
      column = lines.length > 1 ? lines[lines.length - 1].length : Math.max(column, at.column) + text.length
    }
    return { hoisted: this.functions.length ? out : '', lets: [...this.lets], vars: [...this.vars] }
  }

  body(): string {
    const edits = this.edits.sort((a, b) => a.start - b.start || a.end - b.end)
    let out = ''
    let at = 0
    for (const edit of edits) {
      out += this.code.slice(at, edit.start) + edit.text
      at = edit.end
    }
    return out + this.code.slice(at)
  }

  /** Finds `var` declarations below a top-level statement, outside functions and classes. */
  private nested(node: Node): void {
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ClassBody':
        return
      case 'VariableDeclaration':
        if ((node as VariableDeclaration).kind === 'var') this.declaration(node as VariableDeclaration, true)
        return
      case 'ForStatement': {
        const loop = node as ForStatement
        const init = loop.init?.type === 'VariableDeclaration' && loop.init.kind === 'var' ? loop.init : null
        if (init) this.declaration(init, false)
        for (const part of [init ? null : loop.init, loop.test, loop.update, loop.body]) if (part) this.nested(part)
        return
      }
      case 'ForInStatement':
      case 'ForOfStatement': {
        const loop = node as Node & { left: Node; right: Node; body: Node }
        const left = loop.left as VariableDeclaration
        if (left.type === 'VariableDeclaration' && left.kind === 'var') {
          // `for (var x of xs)` becomes `for (x of xs)`: a pattern on the left is an assignment.
          for (const d of left.declarations) this.hoist(d.id, false)
          this.edits.push({ start: left.start, end: left.start + 3, text: '   ' })
        } else {
          this.nested(loop.left)
        }
        this.nested(loop.right)
        return this.nested(loop.body)
      }
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) this.nested(item)
      } else if (isNode(value)) {
        this.nested(value)
      }
    }
  }

  /** `let a = 1, {b} = c` becomes `void ((a = 1), ({b} = c));`, its names hoisted. */
  private declaration(node: VariableDeclaration, statement: boolean): void {
    const lexical = node.kind !== 'var'
    this.edits.push({ start: node.start, end: node.start + node.kind.length, text: 'void (' })
    node.declarations.forEach((d, i) => {
      this.hoist(d.id, lexical)
      let text: string
      if (d.init) text = `(${this.code.slice(d.start, d.end)})`
      else if (lexical) text = `(${this.code.slice(d.start, d.end)} = undefined)`
      else text = '(void 0)'
      if (i === node.declarations.length - 1) text += ')'
      this.edits.push({ start: d.start, end: d.end, text })
    })
    // A statement ends here: after `)`, a next line starting with `(` would be a call.
    if (statement && this.code[node.end - 1] !== ';') this.edits.push({ start: node.end, end: node.end, text: ';' })
  }

  private hoist(pattern: Pattern, lexical: boolean): void {
    for (const name of boundNames(pattern)) {
      if (lexical) this.lets.push(name)
      else this.vars.add(name)
    }
  }
}

function boundNames(pattern: Pattern, out: string[] = []): string[] {
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern.name)
      break
    case 'ObjectPattern':
      for (const p of pattern.properties) boundNames(p.type === 'RestElement' ? p.argument : p.value, out)
      break
    case 'ArrayPattern':
      for (const element of pattern.elements) if (element) boundNames(element, out)
      break
    case 'AssignmentPattern':
      boundNames(pattern.left, out)
      break
    case 'RestElement':
      boundNames(pattern.argument, out)
      break
  }
  return out
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string'
}

function isStrict(program: Program): boolean {
  for (const statement of program.body) {
    if (statement.type !== 'ExpressionStatement' || statement.directive === undefined) return false
    if (statement.directive === 'use strict') return true
  }
  return false
}

/** Spaces for everything but line breaks, so what follows keeps its line and column. */
function blank(text: string): string {
  return text.replace(/[^\n\r\u2028\u2029]/g, ' ')
}
