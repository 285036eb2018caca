/** `--config <file>`: the drilled system, for every command that needs facts about it. */
import { Option } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfig, type Target } from '../config/load.ts';

export const configOption = (): Option =>
  new Option('--config <file>', 'the system to drill: its config file (defineConfig)').default(
    DEFAULT_CONFIG_FILE,
  );

/** The target a command runs against, validated; a bad config is one UserError line. */
export const resolveTarget = (file: string | undefined): Promise<Target> =>
  loadConfig(file ?? DEFAULT_CONFIG_FILE);
