/**
 * The fault suite's secrecy sweep (test infrastructure): looks for every seeded and rotated value, in plain, base64
 * and hex form, in every text the run produced (logs, Events, statuses, metrics). A finding names the value's
 * position in the list and the text's source, never the value.
 */

/** The forms a value could leak in: as is, base64 (as Secret data carries it) and hex (lower and upper case). */
export function leakForms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const hex = bytes.toString("hex");
  return [value, bytes.toString("base64"), bytes.toString("base64url"), hex, hex.toUpperCase()];
}

/** One leaked value (by index) in one source. */
export interface Leak {
  source: string;
  valueIndex: number;
  form: "plain" | "base64" | "base64url" | "hex" | "HEX";
}

const FORM_NAMES = ["plain", "base64", "base64url", "hex", "HEX"] as const;

/** Every occurrence of every value's forms in the texts (pure). */
export function sweep(
  texts: ReadonlyArray<{ source: string; text: string }>,
  values: readonly string[],
): Leak[] {
  const leaks: Leak[] = [];
  values.forEach((value, valueIndex) => {
    const forms = leakForms(value);
    for (const { source, text } of texts) {
      forms.forEach((form, f) => {
        if (form.length >= 8 && text.includes(form)) leaks.push({ source, valueIndex, form: FORM_NAMES[f]! });
      });
    }
  });
  return leaks;
}
