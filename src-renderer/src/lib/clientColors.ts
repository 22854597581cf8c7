/** One colour per client of a cluster (by its number), the same in the task stream and the clients table. */
const CLIENT_COLORS = ['#4c7bd9', '#2f9e6e', '#b04fc4', '#e0813a', '#3aa7b8', '#8a6d3b', '#6b7fd6', '#c7a02f']

export const clientColor = (client: number): string => CLIENT_COLORS[client % CLIENT_COLORS.length]
