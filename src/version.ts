import pkg from '../package.json';

/** The version embedded at build time (from package.json). */
export const VERSION: string = pkg.version;
