// The seed walkthrough on packstack's all-in-one host (seed-walkthrough.ts).
import { describeSeedWalkthrough } from './seed-walkthrough.js';

describeSeedWalkthrough('the seed walkthrough (all-in-one)', { networkHost: 'localhost' });
