/**
 * The assembler's error: what is wrong with the source, and where (line and column).
 * @module
 */

/** A syntax or range error in assembly source, at `line` and `column` (both 1-based). */
export class AsmError extends SyntaxError {
  /** 1-based line of the problem. */
  readonly line: number;
  /** 1-based column of the problem. */
  readonly column: number;

  /** An error at line:column. */
  constructor(line: number, column: number, message: string) {
    super(`line ${line}, column ${column}: ${message}`);
    this.name = "AsmError";
    this.line = line;
    this.column = column;
  }
}
