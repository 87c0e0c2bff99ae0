/**
 * docker-compose.yml and the Dockerfile: no Docker engine runs on these machines, so the file
 * is checked by the compose CLI's own validation (`config`) where a compose CLI is installed,
 * and against the service's roles everywhere.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_ROLES } from '../../src/platform/config';

const root = path.resolve(__dirname, '../..');
const composeFile = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');

/** `docker compose` (v2 plugin) or `docker-compose` (v1), whichever answers. */
function composeCli(): string[] | undefined {
  for (const cli of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(cli[0]!, [...cli.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return cli;
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  it('runs the service once per role with the role flag of the CLI, each role one the configuration knows', () => {
    const roles = [...composeFile.matchAll(/command: \["serve", "--role", "([a-z]+)"\]/g)].map((m) => m[1]);
    expect(roles.sort()).toEqual(['api', 'projector', 'relay'].sort());
    for (const role of roles) expect(SERVICE_ROLES as readonly string[]).toContain(role);
  });

  const cli = composeCli();
  (cli ? it : it.skip)(`is accepted by \`compose config\` (${cli ? cli.join(' ') : 'skipped: no docker compose CLI on this machine'})`, () => {
    const run = (args: string[]) => spawnSync(cli![0]!, [...cli!.slice(1), '-f', 'docker-compose.yml', ...args], { cwd: root, encoding: 'utf8' });
    const check = run(['config', '-q']);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    const services = run(['config', '--services']).stdout.trim().split('\n').sort();
    expect(services).toEqual(['api', 'kafka', 'kurrentdb', 'postgres', 'projector', 'redis', 'relay']);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');

  it('builds in stages on Node 20 and runs the CLI as a non-root user', () => {
    const stages = [...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => ({ image: m[1], name: m[2] }));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:20[-.]/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "bin\/postledger\.js"\]$/m);
  });
});
