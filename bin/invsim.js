#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// A reader that closes early (`invsim list | head`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});

await main(process.argv.slice(2));
