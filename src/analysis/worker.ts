/**
 * A worker thread of the run pool: receives `{ index, task }`, answers `{ index, record }` or
 * `{ index, error }`. It runs one task at a time; the pool hands out the next when it answers.
 */
import { parentPort } from 'node:worker_threads';
import { toWireError } from './errors.js';
import { createExecutor, type RunTask } from './execute.js';

if (parentPort === null) throw new Error('analysis/worker.js must be started as a worker thread');
const port = parentPort;
const execute = createExecutor();

port.on('message', (message: { index: number; task: RunTask }) => {
  execute(message.task).then(
    (record) => port.postMessage({ index: message.index, record }),
    (error: unknown) => port.postMessage({ index: message.index, error: toWireError(error) }),
  );
});
