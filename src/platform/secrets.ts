import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A secret from configuration, or one generated once and kept in `<dataDir>/keys/<name>`
 * (mode 0600) so that the embedded default works with no settings and keeps its secret
 * across restarts.
 *
 * ```ts
 * const secret = await configuredOrGeneratedSecret(config.aiWebhookSecret, config.dataDir, 'ai-webhook-secret');
 * ```
 */
export async function configuredOrGeneratedSecret(configured: string | undefined, dataDir: string, name: string): Promise<string> {
  if (configured !== undefined) return configured;
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, name);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // only the keys folder is private: DATA_DIR itself must stay reachable (the embedded PostgreSQL runs as another user)
  await mkdir(dataDir, { recursive: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // another process wrote it first: use theirs
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw error;
  }
}
