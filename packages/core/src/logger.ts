/**
 * The logging interface seda's libraries log through: pino's shape, so a
 * pino logger fits as it is. Library code never writes to the console.
 */
export interface Logger {
  trace(obj: object | string, msg?: string, ...args: unknown[]): void;
  debug(obj: object | string, msg?: string, ...args: unknown[]): void;
  info(obj: object | string, msg?: string, ...args: unknown[]): void;
  warn(obj: object | string, msg?: string, ...args: unknown[]): void;
  error(obj: object | string, msg?: string, ...args: unknown[]): void;
  fatal(obj: object | string, msg?: string, ...args: unknown[]): void;
  child(bindings: object): Logger;
}

const noop = (): void => {};

/** A logger that drops everything: the default where none is given. */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => silentLogger,
};
