import { main, registerCommands } from './main';

// Subcommands, each in its own file under ./commands.
registerCommands();

export function run(argv: string[]): Promise<number> {
  return main(argv);
}
