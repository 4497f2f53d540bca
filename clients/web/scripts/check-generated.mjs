// Fails when src/api.d.ts is not what `npm run generate` makes from docs/openapi.json now.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'byoc-api-'));
try {
  const out = join(dir, 'api.d.ts');
  const cli = join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
  execFileSync(process.execPath, [cli, join(root, '..', '..', 'docs', 'openapi.json'), '--default-non-nullable', 'false', '--output', out], { stdio: 'pipe' });
  if (readFileSync(out, 'utf8') !== readFileSync(join(root, 'src', 'api.d.ts'), 'utf8')) {
    console.error('src/api.d.ts is out of date with docs/openapi.json: run `npm run generate` in clients/web');
    process.exit(1);
  }
  console.log('src/api.d.ts matches docs/openapi.json');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
