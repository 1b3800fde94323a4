#!/usr/bin/env node
// The aurora-harness command: loads the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (aurora-harness show FILE | head) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await import('../properties/cli.ts');
process.exitCode = await main(process.argv.slice(2));
