/** Builds resources/agent.cjs (or `outfile`, relative to the package root); resolves to its absolute path. */
export function buildAgent(options?: { outfile?: string }): Promise<string>
