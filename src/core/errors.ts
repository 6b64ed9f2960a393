/**
 * Typed errors: each says what failed, where, what was expected and what was found, and how to fix it.
 * Callers branch on `code`, people read `message`.
 */
export interface ErrorContext {
  [key: string]: string | number | boolean | undefined | null;
}

export class TetherError extends Error {
  readonly code: string;
  readonly context: ErrorContext;
  readonly hint: string | undefined;

  constructor(
    code: string,
    message: string,
    context: ErrorContext = {},
    options?: { cause?: unknown; hint?: string },
  ) {
    super(options?.hint ? `${message}\n  hint: ${options.hint}` : message, { cause: options?.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = context;
    this.hint = options?.hint;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, context: this.context };
  }
}

/** A configuration file (robot.yaml, gates.yaml, a mapping, a CLI flag) is wrong at `field`. */
export class ConfigError extends TetherError {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
    options?: { cause?: unknown; hint?: string; expected?: string; actual?: string },
  ) {
    const expectation = options?.expected
      ? ` (expected ${options.expected}${options.actual ? `, got ${options.actual}` : ""})`
      : "";
    super("CONFIG", `${file}: ${field}: ${detail}${expectation}`, { file, field }, options);
  }
}

/** A dataset, bag or log file is malformed at a byte offset. */
export class DatasetFormatError extends TetherError {
  constructor(
    readonly file: string,
    readonly offset: number | undefined,
    detail: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(
      "DATASET_FORMAT",
      `${file}${offset === undefined ? "" : ` @${offset}`}: ${detail}`,
      { file, offset },
      options,
    );
  }
}

/** An array or tensor has the wrong shape or length. */
export class ShapeMismatchError extends TetherError {
  constructor(
    readonly what: string,
    readonly expected: number | string,
    readonly actual: number | string,
    options?: { hint?: string },
  ) {
    super(
      "SHAPE_MISMATCH",
      `${what}: expected ${expected}, got ${actual}`,
      { what, expected, actual },
      options,
    );
  }
}

/** A ROS 2 launch file is wrong at `line`. */
export class LaunchError extends TetherError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super("LAUNCH", `${file}${line === undefined ? "" : `:${line}`}: ${detail}`, { file, line }, options);
  }
}

/** A value that must be finite is NaN or infinite (actions, observations, losses). */
export class NonFiniteError extends TetherError {
  constructor(
    readonly what: string,
    readonly index: number,
    readonly value: number,
    options?: { hint?: string },
  ) {
    super(
      "NON_FINITE",
      `${what}[${index}] is ${value}: only finite numbers are accepted`,
      { what, index, value },
      options,
    );
  }
}

/** Something this machine does not have (ROS 2, a GPU, a native backend). Never faked: say so. */
export class NotAvailableError extends TetherError {
  constructor(
    readonly feature: string,
    detail: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super("NOT_AVAILABLE", `${feature} is not available: ${detail}`, { feature }, options);
  }
}

/** Throws NonFiniteError on the first NaN/Inf; used at every boundary where numbers enter from outside. */
export function assertFinite(what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new NonFiniteError(what, i, v);
  }
}
