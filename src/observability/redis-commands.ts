import type { Redis } from 'ioredis';
import { attached } from '../http/attached.js';
import type { RedisErrorKind } from './metrics.js';
import type { Tracing } from './tracing.js';

interface SentCommand {
  name: string;
  promise: Promise<unknown>;
  /** ioredis' own: every failure of the command (reply error, timeout, lost connection) goes through it. */
  reject: (err: Error) => void;
}

function kindOf(err: unknown): RedisErrorKind {
  if (!(err instanceof Error)) return 'other';
  if (err.name === 'ReplyError') return 'reply';
  if (/timed? ?out/i.test(err.message)) return 'timeout';
  if (/connection|stream|closed|max retries|ECONN|EPIPE/i.test(err.message) || err.name === 'MaxRetriesPerRequestError')
    return 'connection';
  return 'other';
}

const observed = attached<SentCommand, true>('observed command');

/**
 * Counts every failed command of `redis` by command and kind and, with tracing on, makes each command a
 * client span under the request's span. Hooks the one method every command (pipelines included) goes
 * through, once per command: a command resent after a reconnect is not counted twice.
 */
export function observeRedisCommands(
  redis: Redis,
  options: { onError: (command: string, kind: RedisErrorKind) => void; tracing?: Pick<Tracing, 'client'> },
): void {
  const target = redis as unknown as { sendCommand: (command: SentCommand, stream?: unknown) => unknown };
  const send = target.sendCommand.bind(redis);
  const { onError, tracing } = options;
  target.sendCommand = (command, stream) => {
    if (observed.get(command) === undefined) {
      observed.set(command, true);
      if (tracing) {
        const end = tracing.client(`redis ${command.name}`, {
          'db.system.name': 'redis',
          'db.operation.name': command.name,
        });
        command.promise.then(
          () => end?.({}),
          (err: unknown) => {
            onError(command.name, kindOf(err));
            end?.({ error: err });
          },
        );
      } else {
        // No promise per command: its failures are counted where ioredis rejects it.
        const reject = command.reject;
        command.reject = (err) => {
          onError(command.name, kindOf(err));
          reject(err);
        };
      }
    }
    return send(command, stream);
  };
}
