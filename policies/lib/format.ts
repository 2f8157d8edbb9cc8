/** Number formatting shared by rule messages and the planner. */

/** A fraction as a percentage with 2 significant digits ("0.0034 %", "100 %"). */
export function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(2))} %`;
}
