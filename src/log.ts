// The process logger (pino: JSON lines in production, readable enough for a terminal).
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level = 'info'): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that drops everything (tests, CLI commands that print their own output). */
export const silentLogger: Logger = pino({ level: 'silent' });
