import { parseArgs } from 'node:util';

/** Every command lives in ./<name>.ts and exports `main(argv): Promise<exit code>`. */
export interface CommandModule {
  main(argv: string[]): Promise<number>;
}

export const COMMANDS = {
  check: 'Parse and validate a PQL expression',
  run: 'Evaluate a segment definition against data',
  generate: 'Generate sample data',
  serve: 'Start the service and the studio',
} as const;

export type CommandName = keyof typeof COMMANDS;

export const USAGE = `Usage: seg <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, text]) => `  ${name.padEnd(10)}${text}`)
  .join('\n')}

Run "seg <command> --help" for a command's options.`;

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

async function loadCommand(name: CommandName): Promise<CommandModule> {
  // The specifier is computed so each command module is only loaded when used.
  const specifier = `./${name}.js`;
  let mod: Partial<CommandModule>;
  try {
    mod = (await import(specifier)) as Partial<CommandModule>;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const missing = new URL(specifier, import.meta.url).pathname;
    if (code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(missing)) {
      throw new Error(`command "${name}" is not available in this build`, { cause: err });
    }
    throw err;
  }
  if (typeof mod.main !== 'function') throw new Error(`command module "${name}" has no main()`);
  return mod as CommandModule;
}

export async function dispatch(argv: string[]): Promise<number> {
  // Only the tokens before the command name belong to the dispatcher.
  const { tokens } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const first = tokens[0];
  if (first === undefined) {
    console.error(USAGE);
    return 2;
  }
  if (first.kind === 'option' && first.name === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (first.kind !== 'positional') {
    console.error(`seg: unknown option "${argv[0]}"\n\n${USAGE}`);
    return 2;
  }
  const name = first.value;
  if (name === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (!isCommand(name)) {
    console.error(`seg: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const command = await loadCommand(name);
  return command.main(argv.slice(first.index + 1));
}

try {
  process.exitCode = await dispatch(process.argv.slice(2));
} catch (err) {
  console.error(`seg: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
