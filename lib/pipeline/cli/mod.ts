/**
 * The command line: argument parsing, the commands, the live display and the text reports.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export { main } from "./main.ts";
