/** Every error the engine raises: `code` is stable for programs, `message` is for people. */
export class AiprodError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AiprodError";
    this.code = code;
  }
}
