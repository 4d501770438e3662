import { exportCommand } from './commands/export';
import { main, registerCommands } from './main';

// Subcommands, each in its own file under ./commands.
registerCommands(exportCommand);

export function run(argv: string[]): Promise<number> {
  return main(argv);
}
