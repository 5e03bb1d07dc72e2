// winston logger: one JSON object per line by default, readable text with --log-format=text.
import winston from 'winston';

export type LogFormat = 'json' | 'text';
export type Logger = winston.Logger;

export function createLogger(format: LogFormat = 'json', level = 'info'): Logger {
  const f =
    format === 'text'
      ? winston.format.combine(
          winston.format.timestamp(),
          winston.format.printf(({ timestamp, level: lvl, message, ...rest }) => {
            const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${lvl.toUpperCase().padEnd(5)} ${String(message)}${extra}`;
          }),
        )
      : winston.format.combine(winston.format.timestamp(), winston.format.json());
  return winston.createLogger({ level, format: f, transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })] });
}
