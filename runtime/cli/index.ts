import { benchCommand } from './commands/bench';
import { batchesCommand, distributedCommand } from './commands/distributed';
import { exportCommand } from './commands/export';
import { finetuneCommand } from './commands/finetune';
import { main, registerCommands } from './main';
import { plotCommand } from './commands/plot';
import { pretrainCommand } from './commands/pretrain';
import { registerCommand } from './commands/register';
import { segmentCommand } from './commands/segment';

// Subcommands, each in its own file under ./commands.
registerCommands(pretrainCommand, exportCommand, benchCommand);
registerCommands(finetuneCommand, segmentCommand);
registerCommands(registerCommand, plotCommand);
registerCommands(distributedCommand, batchesCommand);

export function run(argv: string[]): Promise<number> {
  return main(argv);
}
