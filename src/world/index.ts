// The emulated hosts of a running cloud (see world.ts).
export { UNDERLAY_NIC, World, WorldHost, type WorldOptions } from './world.js';
