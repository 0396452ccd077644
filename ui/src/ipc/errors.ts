// The one error shape that comes from Rust (`{ code, message }`, the code generated from the
// core's), and the news that the database was found damaged while the app runs, whichever way
// it comes.
import type { ErrorCode } from "./types";
import { ERROR_CODES } from "./types";

/** Whether `value` is a code the shell sends (see `ErrorCode`, generated from the core's). */
function isErrorCode(value: unknown): value is ErrorCode {
  return ERROR_CODES.some((code) => code === value);
}

/** An error from a command, as the shell serialises it: `{ code, message }`. */
export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "AppError";
    this.code = code;
  }

  static from(raw: unknown): AppError {
    if (raw instanceof AppError) return raw;
    if (typeof raw === "object" && raw !== null && "code" in raw && "message" in raw) {
      const { code, message } = raw as { code: unknown; message: unknown };
      return new AppError(isErrorCode(code) ? code : "internal", String(message));
    }
    return new AppError("internal", raw instanceof Error ? raw.message : String(raw));
  }
}

/** Who hears that the database was found damaged mid-session (the root shows the recovery screen). */
const damageListeners = new Set<(problem: AppError) => void>();

/**
 * Calls `listener` when the database is found damaged while the app runs, whichever way the news
 * comes: a command's error, a reply's error, or the service's own update (a background task met
 * it). Returns the unsubscribe.
 */
export function onDatabaseDamaged(listener: (problem: AppError) => void): () => void {
  damageListeners.add(listener);
  return () => damageListeners.delete(listener);
}

/** Passes `error` on to the damage listeners when it is damage; returns it. */
export function noticeDamage(error: AppError): AppError {
  if (error.code === "database_damaged") for (const listener of damageListeners) listener(error);
  return error;
}

