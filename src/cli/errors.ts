/** A bad flag, value or combination given by the user: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
