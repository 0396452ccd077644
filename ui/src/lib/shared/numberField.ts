import { AppError } from "../../ipc";

/** A number typed in a settings field: "" → null (the default), else a number in range, or an
 *  error naming the field. */
export function numberField(text: string, name: string, integer: boolean): number | null {
  const t = text.trim();
  if (t === "") return null;
  const n = Number(t);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new AppError("invalid_input", `${name} must be ${integer ? "a whole number" : "a number"}, or empty for the default`);
  }
  return n;
}
