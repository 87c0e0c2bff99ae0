// `postledger <command>`; see cli/run.ts.
import { runCli } from './cli/run';

void runCli(process.argv.slice(2), process);
