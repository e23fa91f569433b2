/**
 * Recognise a process again after cutover itself restarted. `exec` journals
 * the pid of the program it started; if cutover is killed, that program
 * (in its own process group) keeps running, and a resumed run must not start
 * a second copy next to it. One module answers this for all of cutover.
 */
export { identify, stillRunning } from "../../core/process-identity.js";
