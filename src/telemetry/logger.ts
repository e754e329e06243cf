import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout (pino); secrets never reach a log line. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'edgewatch' },
      redact: { paths: ['*.webhookSecret', '*.authToken', '*.redisPassword', 'config.webhookSecret', 'config.authToken', 'config.redisPassword'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
