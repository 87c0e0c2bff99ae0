import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { verifySignedHead } from '../audit/heads';
import { logMatchesHead, verifyChain } from '../audit/verify';
import { loadAuditKeys } from '../http/api';
import type { HostProcess } from '../serve';
import { openLogAccess, runCommand } from './command';
import { Progress } from '../platform/progress';

/**
 * `postledger audit verify [--receipt <file>]`: recomputes the tamper-evidence chain and prints
 * `{ok, checked, firstBadPosition?, head?}` as JSON; exit 0 when it holds, 1 when it does not
 * (or the command failed). With `--receipt`, a signed head kept earlier (the JSON of
 * `GET /v1/audit/head`, or its bare JWS) is checked too: its signature, then the log recomputed
 * up to its position must arrive at its link.
 */
export async function runAuditVerify(host: HostProcess, options: { receipt?: string }): Promise<void> {
  await runCommand(host, 'audit verify', async (context) => {
    const { config } = context;
    const access = await openLogAccess(context);
    const head = (await access.rawStore.headPosition()) ?? 0n;
    const progress = new Progress({ label: 'audit verify', unit: 'log positions', stream: host.stderr, logger: access.logger });
    const result = await verifyChain(access.rawStore, access.pool, { onProgress: (_checked, position) => progress.update(Number(position), Number(head)) });
    progress.finish(`${result.checked} events checked`);
    const output: Record<string, unknown> = { ...result };
    let ok = result.ok;
    if (options.receipt !== undefined) {
      const receipt = await readReceipt(options.receipt);
      const keys = receipt.keys ?? (await loadAuditKeys(config)).jwks;
      const signed = await verifySignedHead(receipt.jws, keys);
      const matches = await logMatchesHead(access.rawStore, signed);
      output.receipt = { position: signed.position, link: signed.link, signedAt: signed.signedAt, kid: signed.kid, signature: 'valid', logMatches: matches.ok };
      ok &&= matches.ok;
    }
    host.stdout.write(`${JSON.stringify(output)}\n`);
    return ok ? 0 : 1;
  });
}

/** A receipt file: the JSON `GET /v1/audit/head` answered (with its keys), or a bare compact JWS. */
async function readReceipt(file: string): Promise<{ jws: string; keys?: { keys: JWK[] } }> {
  const text = (await readFile(file, 'utf8')).trim();
  if (!text.startsWith('{')) return { jws: text };
  const parsed = JSON.parse(text) as { jws?: unknown; keys?: unknown };
  if (typeof parsed.jws !== 'string') throw new Error(`${file} has no "jws": save the whole answer of GET /v1/audit/head`);
  return { jws: parsed.jws, ...(Array.isArray(parsed.keys) ? { keys: { keys: parsed.keys as JWK[] } } : {}) };
}
