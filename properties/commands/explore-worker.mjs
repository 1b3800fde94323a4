// Worker bootstrap: load the TypeScript worker through tsx (workers do not inherit the loader).
import { register } from 'tsx/esm/api';

register();
await import('./explore-worker.ts');
