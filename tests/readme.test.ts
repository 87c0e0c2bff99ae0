import { readFileSync } from 'node:fs';
import { permissionMatrixMarkdown } from '../src/domain/permissions';

describe('README.md', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('shows the permission matrix the code checks', () => {
    expect(readme).toContain(permissionMatrixMarkdown().trim());
  });

  it('shows the two commands', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
