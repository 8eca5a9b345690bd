// Progress goes to stderr, so stdout carries only the results table.
export const log = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};
