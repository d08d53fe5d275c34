/**
 * Builds what the e2e suite runs, so it never tests a stale build: the Node packages
 * (`ymesh start` runs packages/ymesh/dist) incrementally, then the demo (served from
 * apps/demo/dist). About 2 s when nothing changed. YMESH_E2E_SKIP_BUILD=1 skips it.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { REPO } from './servers'

export default function globalSetup (): void {
  if (process.env.YMESH_E2E_SKIP_BUILD === '1') return
  const bin = (name: string): string => join(REPO, 'node_modules', '.bin', name)
  execFileSync(bin('tsc'), ['-b', 'tsconfig.build.json'], { cwd: REPO, stdio: 'inherit' })
  execFileSync(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: join(REPO, 'apps/demo'), stdio: 'inherit' })
}
