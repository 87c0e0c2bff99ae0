import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import request from 'supertest';
import { loadConfig } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logger';
import { startService } from '../../src/service';
import { createTestDatabase, type TestDatabase } from '../support/database';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('pdsvc');
  pool = new Pool(db.connection);
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('the service seals personal data', () => {
  it('stores a registration sealed, answers it in plaintext, and erases on DELETE /v1/me', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'postledger-pdsvc-'));
    const config = { ...loadConfig({ DATABASE_URL: db.connectionString, DATA_DIR: dataDir, ROLES: 'api' }), port: 0, host: '127.0.0.1' };
    const service = await startService(config, createLogger('silent'));
    try {
      const registered = await request(service.server)
        .post('/v1/auth/register')
        .send({ email: 'wired.person@example.com', password: 'correct horse battery staple', displayName: 'Wired Person' })
        .expect(201);
      const { user, accessToken } = registered.body as { user: { id: string }; accessToken: string };
      const { rows } = await pool.query<{ data: string }>(`select data::text as data from pl_events where stream_id = $1`, [`user-${user.id}`]);
      expect(rows[0]!.data).toContain('"$sealed": "aes-256-gcm/v1"');
      expect(rows[0]!.data).not.toContain('Wired Person');
      const me = await request(service.server).get('/v1/me').set('Authorization', `Bearer ${accessToken}`).expect(200);
      expect(me.body).toMatchObject({ email: 'wired.person@example.com', displayName: 'Wired Person' });

      await request(service.server).delete('/v1/me').set('Authorization', `Bearer ${accessToken}`).expect(204);
      const { rows: keys } = await pool.query('select wrapped_key, erased_at from pl_person_keys where subject_id = $1', [user.id]);
      expect(keys).toEqual([{ wrapped_key: null, erased_at: expect.any(Date) }]);
      await request(service.server).post('/v1/auth/login').send({ email: 'wired.person@example.com', password: 'correct horse battery staple' }).expect(401);
    } finally {
      await service.close();
    }
  });
});
