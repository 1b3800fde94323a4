// One explore shard in a worker thread (aurora-harness explore --workers N): runs explore() with
// the options it is handed and posts the summary back.

import { parentPort, workerData } from 'node:worker_threads';
import { explore, type ExploreOptions } from '../exploration.js';

// Infinity does not survive structured cloning as a budget marker, so null stands for it.
const data = workerData as Omit<ExploreOptions, 'onProgress' | 'runs' | 'budgetMs'> & { runs: number | null; budgetMs: number | null };
parentPort!.postMessage(explore({ ...data, runs: data.runs ?? Infinity, budgetMs: data.budgetMs ?? Infinity }));
