/** Checks on the runtime's JSON log lines shared by unit and integration tests (not a test file itself). */

/**
 * Keys that occur more than once in the same JSON object anywhere in `line` (JSON.parse silently keeps the last
 * one; many log pipelines reject the line). Scans the text, tracking strings and nesting.
 */
export function duplicateKeys(line: string): string[] {
  const stack: Array<Set<string> | undefined> = [];
  const duplicates: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "{") stack.push(new Set());
    else if (c === "[") stack.push(undefined);
    else if (c === "}" || c === "]") stack.pop();
    else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === "\\" ? 2 : 1;
      const text = line.slice(i + 1, j);
      let k = j + 1;
      while (line[k] === " ") k++;
      const keys = stack.at(-1);
      if (line[k] === ":" && keys) {
        if (keys.has(text)) duplicates.push(text);
        keys.add(text);
      }
      i = j;
    }
    i++;
  }
  return duplicates;
}
