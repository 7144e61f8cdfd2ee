import type { Client, LoggingMessageNotificationParams } from '@modelcontextprotocol/client';

import { errorMessage } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';

export type LoggingLevel = LoggingMessageNotificationParams['level'];

/**
 * Sets a session's logging level: `logging/setLevel` on 2025 servers that declare logging (2026-07-28 servers
 * are not sent it). Failures are logged, not thrown.
 */
export async function applyLoggingLevel(client: Client | undefined, level: LoggingLevel, logger: Logger): Promise<void> {
  if (!client || client.getProtocolEra() === 'modern' || !client.getServerCapabilities()?.logging) return;
  await client.setLoggingLevel(level).catch(error => logger.debug(`logging/setLevel failed: ${errorMessage(error)}`));
}
