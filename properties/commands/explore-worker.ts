// A worker thread of `aurora-harness explore --workers N`: runs explore() on each chunk of the
// seed space it is handed and posts the summary back, until the pool closes it.

import { parentPort } from 'node:worker_threads';
import { explore, type ExploreOptions } from '../exploration.js';

// Infinity does not survive structured cloning as a budget marker, so null stands for it.
type Chunk = Omit<ExploreOptions, 'onProgress' | 'runs' | 'budgetMs'> & { runs: number | null; budgetMs: number | null };
parentPort!.on('message', (data: Chunk) => {
  parentPort!.postMessage(explore({ ...data, runs: data.runs ?? Infinity, budgetMs: data.budgetMs ?? Infinity }));
});
