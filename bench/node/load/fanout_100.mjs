export { run } from "./fanout.mjs";
