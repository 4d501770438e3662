import { benchCommand } from './commands/bench';
import { exportCommand } from './commands/export';
import { main, registerCommands } from './main';
import { pretrainCommand } from './commands/pretrain';

// Subcommands, each in its own file under ./commands.
registerCommands(pretrainCommand, exportCommand, benchCommand);

export function run(argv: string[]): Promise<number> {
  return main(argv);
}
