/**
 * The system `pnpm scenario` drills unless --config names another: a config file whose default
 * export is a path points to that config (its paths stay relative to it).
 */
export default './fixtures/agent-agency/firedrill.config.ts';
